//! The checkpoint container: a fixed header, a payload of little-endian fields, a CRC-32 of
//! everything before it; the checksums and the bounds-checked field reader.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"NDSLCKPT"
//! 8       4     format version (u32 LE), FORMAT_VERSION
//! 12      4     reserved, 0
//! 16      8     payload length in bytes (u64 LE)
//! 24      n     payload
//! 24+n    4     CRC-32 (IEEE, as zlib's crc32) of bytes 0 .. 24+n (u32 LE)
//! ```
//!
//! The checksums are written out here (a table CRC-32 and FNV-1a, 30 lines) rather than taken
//! from a crate: neither is on a hot path (a checkpoint is checksummed once when written and
//! once when read, at a few hundred MB/s) and the format must not change with a dependency.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The eight bytes every checkpoint starts with.
pub const MAGIC: &[u8; 8] = b"NDSLCKPT";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 24;

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// A 64-bit FNV-1a hash, fed piece by piece (fingerprints: plan text, built parameters).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    /// Feeds a `u64` (little-endian bytes).
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// Feeds the bits of `f64`s.
    pub fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        for x in v {
            self.u64(x.to_bits());
        }
    }

    /// Feeds text (length first, so that pieces cannot run into each other).
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// Appends little-endian fields to a byte buffer.
#[derive(Default)]
pub struct Fields {
    /// The bytes written.
    pub buf: Vec<u8>,
}

impl Fields {
    /// A `u64`.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A `u8`.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// An `f64` (its bits).
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// A length-prefixed run of `f64`s.
    pub fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 8);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    /// A length-prefixed run of `u64`s.
    pub fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 8);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    /// Length-prefixed UTF-8 text.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Reads the fields [`Fields`] writes; every read is bounds-checked and says what it was reading
/// when the bytes run out, so a malformed payload is an error, never a panic.
pub struct FieldReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> FieldReader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        FieldReader { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!(
                "{what}: needs {n} bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A `u8`.
    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    /// An `f64`.
    pub fn f64(&mut self, what: &str) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64(what)?))
    }

    /// A length prefix, checked against the bytes left (`item` bytes per element) before
    /// anything is allocated.
    fn len(&mut self, item: usize, what: &str) -> Result<usize, String> {
        let n = self.u64(what)?;
        match usize::try_from(n).ok().and_then(|n| n.checked_mul(item)) {
            Some(bytes) if bytes <= self.remaining() => Ok(n as usize),
            _ => Err(format!(
                "{what}: length {n} does not fit the {} bytes left",
                self.remaining()
            )),
        }
    }

    /// A length-prefixed run of `f64`s.
    pub fn f64s(&mut self, what: &str) -> Result<Vec<f64>, String> {
        let n = self.len(8, what)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                f64::from_le_bytes(a)
            })
            .collect())
    }

    /// A run of `f64`s that must have exactly `out.len()` entries, read into `out`.
    pub fn f64s_into(&mut self, out: &mut [f64], what: &str) -> Result<(), String> {
        let n = self.len(8, what)?;
        if n != out.len() {
            return Err(format!(
                "{what}: {n} values in the checkpoint, {} here",
                out.len()
            ));
        }
        let b = self.take(n * 8, what)?;
        for (o, c) in out.iter_mut().zip(b.chunks_exact(8)) {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            *o = f64::from_le_bytes(a);
        }
        Ok(())
    }

    /// A length-prefixed run of `u64`s.
    pub fn u64s(&mut self, what: &str) -> Result<Vec<u64>, String> {
        let n = self.len(8, what)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect())
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        let n = self.len(1, what)?;
        self.take(n, what)
    }

    /// Length-prefixed UTF-8 text.
    pub fn str(&mut self, what: &str) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes(what)?).map_err(|_| format!("{what}: not UTF-8"))
    }
}

/// Why a file is not a readable checkpoint (the container level).
#[derive(Debug, PartialEq, Eq)]
pub enum ContainerError {
    /// No magic.
    NotACheckpoint,
    /// Another format version.
    Version(u32),
    /// Fewer (or more) bytes than the header announces.
    Length {
        /// Bytes the header announces (header, payload, checksum).
        expected: u64,
        /// Bytes in the file.
        found: u64,
    },
    /// The checksum does not match.
    Checksum {
        /// Stored.
        stored: u32,
        /// Computed.
        computed: u32,
    },
}

/// The complete file for `payload`.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The payload of a checkpoint file, after the magic, version, length and checksum checks (in
/// that order: a file of a later version is reported as such even if this build would compute
/// another checksum for it).
pub fn decode(bytes: &[u8]) -> Result<&[u8], ContainerError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(ContainerError::NotACheckpoint);
    }
    if bytes.len() < HEADER_LEN {
        return Err(ContainerError::Length {
            expected: HEADER_LEN as u64 + 4,
            found: bytes.len() as u64,
        });
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version != FORMAT_VERSION {
        return Err(ContainerError::Version(version));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[16..24]);
    let payload_len = u64::from_le_bytes(len);
    let expected = payload_len.saturating_add(HEADER_LEN as u64 + 4);
    if expected != bytes.len() as u64 {
        return Err(ContainerError::Length {
            expected,
            found: bytes.len() as u64,
        });
    }
    let end = bytes.len() - 4;
    let stored = word(end);
    let computed = crc32(&bytes[..end]);
    if stored != computed {
        return Err(ContainerError::Checksum { stored, computed });
    }
    Ok(&bytes[HEADER_LEN..end])
}

/// Writes `bytes` to `path` atomically: a temporary file next to it (`<name>.tmp`), flushed to
/// disk, then renamed over `path`; a crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `<path>.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn fnv1a_matches_the_reference() {
        let mut h = Fnv::default();
        h.bytes(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn containers_round_trip_and_refuse_damage() {
        let file = encode(b"payload");
        assert_eq!(decode(&file), Ok(&b"payload"[..]));
        assert_eq!(decode(b"nope"), Err(ContainerError::NotACheckpoint));
        assert!(matches!(
            decode(&file[..file.len() - 1]),
            Err(ContainerError::Length { .. })
        ));
        let mut bad = file.clone();
        bad[HEADER_LEN + 2] ^= 1;
        assert!(matches!(decode(&bad), Err(ContainerError::Checksum { .. })));
        let mut v2 = file;
        v2[8] = 2;
        assert_eq!(decode(&v2), Err(ContainerError::Version(2)));
    }

    #[test]
    fn readers_refuse_lengths_past_the_end() {
        let mut f = Fields::default();
        f.u64(u64::MAX);
        let mut r = FieldReader::new(&f.buf);
        assert!(r.f64s("x").is_err());
        let mut r = FieldReader::new(&[1, 2]);
        assert!(r.u64("y").is_err());
    }
}
