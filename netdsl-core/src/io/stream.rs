//! `.npy` files written while a run goes on: samples are appended in place and the header,
//! which has room for any shape, is rewritten after every append, so the file is a valid
//! `.npy` array of every sample appended so far at any moment (`numpy.load` reads it after a
//! crash or a kill).
//!
//! The header is always [`STREAM_HEADER_LEN`] bytes (version 1.0, `<f8`, C order, padded with
//! spaces): the first dimension's digits can grow without moving the data. An append writes
//! the new samples after the data, then the header; killed between the two, the file is still
//! valid and holds the samples of the previous header (NumPy reads `shape` rows and ignores the
//! rest). Appending allocates nothing (the header is formatted in a stack buffer).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes of a stream's header (a multiple of 64, as NumPy aligns it).
pub const STREAM_HEADER_LEN: usize = 256;

/// The fixed-size header of a `<f8` array of `rows × sample_shape`.
pub fn stream_header(rows: u64, sample_shape: &[usize]) -> io::Result<[u8; STREAM_HEADER_LEN]> {
    let mut h = [b' '; STREAM_HEADER_LEN];
    h[..6].copy_from_slice(b"\x93NUMPY");
    h[6] = 1;
    h[7] = 0;
    h[8..10].copy_from_slice(&((STREAM_HEADER_LEN - 10) as u16).to_le_bytes());
    let mut dict = &mut h[10..STREAM_HEADER_LEN - 1];
    let too_long = |_| io::Error::other("probe shape too long for a stream header");
    write!(
        dict,
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows},"
    )
    .map_err(too_long)?;
    for (i, n) in sample_shape.iter().enumerate() {
        if i > 0 {
            write!(dict, ",").map_err(too_long)?;
        }
        write!(dict, " {n}").map_err(too_long)?;
    }
    write!(dict, "), }}").map_err(too_long)?;
    h[STREAM_HEADER_LEN - 1] = b'\n';
    Ok(h)
}

/// An open `.npy` stream of samples of one shape.
#[derive(Debug)]
pub struct NpyStream {
    file: File,
    path: PathBuf,
    sample_shape: Vec<usize>,
    sample_len: usize,
    rows: u64,
}

impl NpyStream {
    /// Creates (or truncates) `path` with a header of 0 samples.
    pub fn create(path: impl AsRef<Path>, sample_shape: &[usize]) -> io::Result<NpyStream> {
        let path = path.as_ref().to_path_buf();
        let header = stream_header(0, sample_shape)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        file.write_all(&header)?;
        Ok(NpyStream {
            file,
            path,
            sample_shape: sample_shape.to_vec(),
            sample_len: sample_shape.iter().product(),
            rows: 0,
        })
    }

    /// Reopens a stream that held at least `rows` samples of `sample_shape` (its header may
    /// announce more, or fewer when the writer was killed between data and header), cuts it to
    /// exactly `rows` samples and continues after them: how a resumed run picks up the file it
    /// was streaming when it was checkpointed.
    pub fn reopen(
        path: impl AsRef<Path>,
        sample_shape: &[usize],
        rows: u64,
    ) -> io::Result<NpyStream> {
        let path = path.as_ref().to_path_buf();
        let mut file = OpenOptions::new().read(true).write(true).open(&path)?;
        let mut header = [0u8; STREAM_HEADER_LEN];
        file.read_exact(&mut header)
            .map_err(|_| io::Error::other("the file is shorter than a stream header"))?;
        let announced = header_rows(&header)
            .ok_or_else(|| io::Error::other("not a netdsl probe stream (unexpected header)"))?;
        if header != stream_header(announced, sample_shape)? {
            return Err(io::Error::other(format!(
                "the file holds samples of another shape than {sample_shape:?}"
            )));
        }
        let sample_len: usize = sample_shape.iter().product();
        let need =
            (STREAM_HEADER_LEN as u64).saturating_add(rows.saturating_mul(sample_len as u64 * 8));
        let have = file.metadata()?.len();
        if have < need {
            return Err(io::Error::other(format!(
                "the file has {} whole samples, the checkpoint counts {rows}",
                (have - STREAM_HEADER_LEN as u64) / (sample_len.max(1) as u64 * 8)
            )));
        }
        file.set_len(need)?;
        let mut s = NpyStream {
            file,
            path,
            sample_shape: sample_shape.to_vec(),
            sample_len,
            rows,
        };
        s.write_header()?;
        s.file.seek(SeekFrom::End(0))?;
        Ok(s)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Samples written (and announced by the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Values per sample.
    pub fn sample_len(&self) -> usize {
        self.sample_len
    }

    fn write_header(&mut self) -> io::Result<()> {
        let header = stream_header(self.rows, &self.sample_shape)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&header)
    }

    /// Appends whole samples (`values.len()` a multiple of the sample length), then updates the
    /// header. Allocation-free.
    pub fn append(&mut self, values: &[f64]) -> io::Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let per = self.sample_len.max(1);
        if values.len() % per != 0 {
            return Err(io::Error::other("a partial sample"));
        }
        self.file.seek(SeekFrom::End(0))?;
        let mut buf = [0u8; 8192];
        for chunk in values.chunks(buf.len() / 8) {
            for (b, v) in buf.chunks_exact_mut(8).zip(chunk) {
                b.copy_from_slice(&v.to_le_bytes());
            }
            self.file.write_all(&buf[..chunk.len() * 8])?;
        }
        self.rows += (values.len() / per) as u64;
        self.write_header()
    }

    /// Flushes the file to disk (`fsync`).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// The first dimension announced by a stream header.
fn header_rows(header: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(header.get(10..)?).ok()?;
    let at = text.find("'shape': (")? + "'shape': (".len();
    let digits: &str = &text[at..];
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::npy::from_npy_bytes;

    #[test]
    fn headers_have_a_fixed_length_and_read_back() {
        for (rows, shape) in [
            (0u64, vec![1usize]),
            (u64::MAX, vec![usize::MAX, usize::MAX]),
        ] {
            let h = stream_header(rows, &shape).expect("fits");
            assert_eq!(header_rows(&h), Some(rows));
        }
        let dir = std::env::temp_dir().join(format!("netdsl-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("s.npy");
        let mut s = NpyStream::create(&path, &[2, 3]).expect("create");
        s.append(&[1.0; 12]).expect("append");
        s.append(&[2.0; 6]).expect("append");
        let (shape, data) = from_npy_bytes(&std::fs::read(&path).expect("read")).expect("npy");
        assert_eq!(shape, [3, 2, 3]);
        assert_eq!(&data[12..], &[2.0; 6]);
        drop(s);
        let mut s = NpyStream::reopen(&path, &[2, 3], 2).expect("reopen");
        s.append(&[3.0; 6]).expect("append");
        let (shape, data) = from_npy_bytes(&std::fs::read(&path).expect("read")).expect("npy");
        assert_eq!(shape, [3, 2, 3]);
        assert_eq!(&data[12..], &[3.0; 6]);
        assert!(NpyStream::reopen(&path, &[2, 3], 4).is_err());
        assert!(NpyStream::reopen(&path, &[6], 1).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
