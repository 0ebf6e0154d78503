//! NumPy `.npy` files (format version 1.0, little-endian `<f8`, C order).
//!
//! [`write_npy`] / [`to_npy_bytes`] take any `f64` array or view of any dimension (`&Array2<f64>`,
//! `ArrayView1<f64>`, `ArrayViewD<f64>`, …); views with unusual strides are written in logical
//! (row-major) order. [`read_npy`] / [`from_npy_bytes`] read such files back (versions 1.0–3.0,
//! `<f8`, C or Fortran order) for tests and round trips.
//!
//! ```
//! use ndarray::array;
//! use netdsl_core::io::npy::{from_npy_bytes, to_npy_bytes};
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let bytes = to_npy_bytes(&a);
//! assert_eq!(bytes.len(), 128 + 6 * 8); // header padded to 128 bytes, then the data
//! let (shape, data) = from_npy_bytes(&bytes).unwrap();
//! assert_eq!(shape, vec![2, 3]);
//! assert_eq!(data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
//! ```

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use ndarray::{AsArray, Dimension};

/// The six magic bytes every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The header (magic, version, length and the padded dict) for a `<f8` C-order array of `shape`.
///
/// Its length is a multiple of 64, so the data that follows is 64-byte aligned, as NumPy writes it.
pub fn npy_header(shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    };
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    // magic (6) + version (2) + header length (2) + dict + padding + '\n'
    let unpadded = 10 + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let header_len = total - 10;
    // Version 1.0 stores the header length as u16; shapes with so many dimensions that this
    // overflows would need version 2.0, which NumPy itself only uses in that case.
    let header_len_u16 = u16::try_from(header_len).expect("npy header longer than 65535 bytes");
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len_u16.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// The complete `.npy` file contents for `array` (`<f8`, C order, version 1.0).
pub fn to_npy_bytes<'a, D: Dimension>(array: impl AsArray<'a, f64, D>) -> Vec<u8> {
    let view = array.into();
    let mut out = npy_header(view.shape());
    out.reserve(view.len() * 8);
    for &x in view.iter() {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Writes `array` to `path` as a `.npy` file (`<f8`, C order, version 1.0), replacing any file
/// there. `numpy.load(path)` gives back the same shape and values.
pub fn write_npy<'a, D: Dimension>(
    path: impl AsRef<Path>,
    array: impl AsArray<'a, f64, D>,
) -> io::Result<()> {
    let view = array.into();
    let mut w = BufWriter::new(fs::File::create(path)?);
    w.write_all(&npy_header(view.shape()))?;
    for &x in view.iter() {
        w.write_all(&x.to_le_bytes())?;
    }
    w.flush()
}

/// Reads a `.npy` file of `<f8` values: its shape and its values in C (row-major) order.
pub fn read_npy(path: impl AsRef<Path>) -> io::Result<(Vec<usize>, Vec<f64>)> {
    from_npy_bytes(&fs::read(path)?)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Parses `.npy` bytes (versions 1.0, 2.0 and 3.0; dtype `<f8`, or `|f8`; C or Fortran order)
/// into the shape and the values in C (row-major) order.
pub fn from_npy_bytes(bytes: &[u8]) -> io::Result<(Vec<usize>, Vec<f64>)> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(invalid("not a .npy file (bad magic)"));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(invalid("truncated .npy header"));
            }
            let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (n as usize, 12)
        }
        v => return Err(invalid(format!("unsupported .npy version {v}"))),
    };
    let data_start = start + header_len;
    if bytes.len() < data_start {
        return Err(invalid("truncated .npy header"));
    }
    let header = std::str::from_utf8(&bytes[start..data_start])
        .map_err(|_| invalid("npy header is not text"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| invalid("npy header lacks 'descr'"))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    if descr != "<f8" && descr != "|f8" {
        return Err(invalid(format!(
            "unsupported dtype {descr:?}, expected '<f8'"
        )));
    }
    let fortran = match dict_value(header, "fortran_order") {
        Some("False") => false,
        Some("True") => true,
        _ => return Err(invalid("npy header lacks 'fortran_order'")),
    };
    let shape_text =
        dict_value(header, "shape").ok_or_else(|| invalid("npy header lacks 'shape'"))?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| invalid(format!("bad shape {shape_text:?}")))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid(format!("bad shape {shape_text:?}")))?;
    let count: usize = shape.iter().product();
    let data = &bytes[data_start..];
    if data.len() != count * 8 {
        return Err(invalid(format!(
            "npy data has {} bytes, shape {:?} needs {}",
            data.len(),
            shape,
            count * 8
        )));
    }
    let values: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("chunk of 8")))
        .collect();
    if !fortran || shape.len() < 2 {
        return Ok((shape, values));
    }
    // Fortran order: reorder to C order.
    let mut c_order = vec![0.0; count];
    let ndim = shape.len();
    let mut index = vec![0usize; ndim];
    for value in c_order.iter_mut() {
        // index is the C-order multi-index of this element; find its Fortran offset.
        let mut f_off = 0;
        let mut stride = 1;
        for (i, &n) in index.iter().zip(&shape) {
            f_off += i * stride;
            stride *= n;
        }
        *value = values[f_off];
        for d in (0..ndim).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok((shape, c_order))
}

/// The raw text of `key`'s value in a Python dict literal such as NumPy's header
/// (`'shape': (2, 3)` gives `(2, 3)`).
fn dict_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let pat_single = format!("'{key}'");
    let pat_double = format!("\"{key}\"");
    let pos = header
        .find(&pat_single)
        .map(|p| p + pat_single.len())
        .or_else(|| header.find(&pat_double).map(|p| p + pat_double.len()))?;
    let rest = header[pos..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array, Array1, Array3, ArrayD, IxDyn};
    use std::process::Command;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("netdsl-export-npy-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn expected_header(shape: &str) -> Vec<u8> {
        let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
        let mut h = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        h.extend_from_slice(dict.as_bytes());
        h.resize(127, b' ');
        h.push(b'\n');
        h
    }

    #[test]
    fn header_bytes_match_numpy() {
        // Byte strings taken from `np.save` (NumPy 2.4) for zeros of these shapes.
        assert_eq!(npy_header(&[3]), expected_header("(3,)"));
        assert_eq!(npy_header(&[2, 3]), expected_header("(2, 3)"));
        assert_eq!(npy_header(&[2, 3, 4]), expected_header("(2, 3, 4)"));
        assert_eq!(npy_header(&[]), expected_header("()"));
        assert_eq!(npy_header(&[0]), expected_header("(0,)"));
        let h = npy_header(&[3]);
        assert!(h.starts_with(
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }     "
        ));
        // A long shape still pads to a multiple of 64.
        let long = npy_header(&[123456789; 12]);
        assert_eq!(long.len() % 64, 0);
        assert_eq!(*long.last().unwrap(), b'\n');
    }

    #[test]
    fn data_bytes_are_little_endian_c_order() {
        let a = array![[1.0, 2.0], [3.0, 4.0]];
        let bytes = to_npy_bytes(a.t()); // transposed view: logical order 1, 3, 2, 4
        assert_eq!(bytes.len(), 128 + 32);
        assert_eq!(&bytes[128..136], &1.0f64.to_le_bytes());
        assert_eq!(&bytes[136..144], &3.0f64.to_le_bytes());
        assert_eq!(&bytes[144..152], &2.0f64.to_le_bytes());
    }

    #[test]
    fn round_trip_1d_2d_3d_dyn() {
        let a1: Array1<f64> = Array::linspace(-1.0, 1.0, 7);
        let a2 = array![[0.1, f64::MIN_POSITIVE, -0.0], [f64::INFINITY, 1e300, -5.5]];
        let a3 = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as f64 / 7.0);
        let ad = ArrayD::from_shape_fn(IxDyn(&[]), |_| 42.0);

        let p = tmp("a1.npy");
        write_npy(&p, &a1).unwrap();
        assert_eq!(read_npy(&p).unwrap(), (vec![7], a1.to_vec()));

        let p = tmp("a2.npy");
        write_npy(&p, a2.view()).unwrap();
        let (shape, data) = read_npy(&p).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(
            data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            a2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );

        let p = tmp("a3.npy");
        write_npy(&p, &a3).unwrap();
        assert_eq!(
            read_npy(&p).unwrap(),
            (vec![2, 3, 4], a3.iter().copied().collect())
        );

        let p = tmp("ad.npy");
        write_npy(&p, ad.view()).unwrap();
        assert_eq!(read_npy(&p).unwrap(), (vec![], vec![42.0]));

        // bytes written to disk equal to_npy_bytes
        assert_eq!(fs::read(&p).unwrap(), to_npy_bytes(&ad));
    }

    #[test]
    fn reader_rejects_bad_input_and_reads_fortran() {
        assert!(from_npy_bytes(b"hello").is_err());
        let mut b = to_npy_bytes(&array![1.0, 2.0]);
        b.pop();
        assert!(from_npy_bytes(&b).is_err());
        let mut b = to_npy_bytes(&array![1.0, 2.0]);
        let pos = b.windows(3).position(|w| w == b"<f8").unwrap();
        b[pos + 1] = b'i';
        assert!(from_npy_bytes(&b).is_err());

        // A Fortran-order file (as `np.save(np.asfortranarray(a))` writes it).
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let mut b = to_npy_bytes(&a);
        let text = String::from_utf8_lossy(&b[10..128]).replace("False", "True ");
        b[10..128].copy_from_slice(text.as_bytes());
        for (i, x) in a.t().iter().enumerate() {
            b[128 + 8 * i..136 + 8 * i].copy_from_slice(&x.to_le_bytes());
        }
        assert_eq!(
            from_npy_bytes(&b).unwrap(),
            (vec![2, 3], a.iter().copied().collect())
        );
    }

    #[test]
    fn numpy_loads_our_files() {
        let ok = Command::new("python3")
            .args(["-c", "import numpy"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("note: python3 with numpy not found; skipping the numpy.load check");
            return;
        }
        let a1 = array![0.1, -2.5, 1e-300];
        let a2 = Array::from_shape_fn((3, 2), |(i, j)| i as f64 * 0.1 + j as f64 / 3.0);
        let a3 = Array3::from_shape_fn((2, 1, 3), |(i, j, k)| (i + j + k) as f64 - 0.5);
        let (p1, p2, p3) = (tmp("np1.npy"), tmp("np2.npy"), tmp("np3.npy"));
        write_npy(&p1, &a1).unwrap();
        write_npy(&p2, a2.t()).unwrap();
        write_npy(&p3, &a3).unwrap();
        let script = "import numpy as np, sys\n\
             for p in sys.argv[1:]:\n\
             \x20   a = np.load(p)\n\
             \x20   assert a.dtype == np.float64, a.dtype\n\
             \x20   print(a.shape, ' '.join(repr(float(x)) for x in a.ravel()))\n";
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args([&p1, &p2, &p3])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let fmt = |shape: &str, xs: Vec<f64>| {
            let vals: Vec<String> = xs.iter().map(|x| format!("{x:?}")).collect();
            format!("{shape} {}", vals.join(" "))
        };
        assert_eq!(lines[0], fmt("(3,)", a1.to_vec()));
        assert_eq!(lines[1], fmt("(2, 3)", a2.t().iter().copied().collect()));
        assert_eq!(lines[2], fmt("(2, 1, 3)", a3.iter().copied().collect()));
    }
}
