//! Probe data as CSV: a `time` column, then one column per probed dimension.
//!
//! Floats are written with Rust's shortest round-trip formatting (`{:?}`: `0.1`, `1e-7`, `NaN`,
//! `inf`), so parsing the text gives back exactly the same `f64`. Column names are quoted as
//! RFC 4180 asks when they contain a comma, a double quote, a line break or surrounding spaces.
//! Lines end with `\n`.
//!
//! ```
//! use ndarray::array;
//! use netdsl_core::io::csv::CsvTable;
//! let t = [0.001, 0.002];
//! let post = array![[0.5, 1.0], [0.25, -1.0]]; // (steps × dims), as a probe gives it
//! let mut out = Vec::new();
//! CsvTable::new(&t).probe("post", post.view()).write(&mut out).unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "time,post[0],post[1]\n0.001,0.5,1.0\n0.002,0.25,-1.0\n"
//! );
//! ```

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use ndarray::{ArrayView1, ArrayView2, Axis};

/// A table of columns sharing one time axis, written as CSV.
#[derive(Clone, Debug)]
pub struct CsvTable<'a> {
    trange: &'a [f64],
    columns: Vec<(String, ArrayView1<'a, f64>)>,
}

impl<'a> CsvTable<'a> {
    /// A table whose first column, `time`, is `trange`.
    pub fn new(trange: &'a [f64]) -> Self {
        CsvTable {
            trange,
            columns: Vec::new(),
        }
    }

    /// Adds one column named `name`.
    pub fn column(mut self, name: impl Into<String>, values: ArrayView1<'a, f64>) -> Self {
        self.columns.push((name.into(), values));
        self
    }

    /// Adds the columns of a (steps × dims) probe array, named `name[0]`, `name[1]`, ….
    pub fn probe(mut self, name: &str, data: ArrayView2<'a, f64>) -> Self {
        for i in 0..data.ncols() {
            let col = data.index_axis_move(Axis(1), i);
            self.columns.push((format!("{name}[{i}]"), col));
        }
        self
    }

    /// Writes the table to `w`. Fails with `InvalidInput` when a column's length differs from the
    /// time axis.
    pub fn write<W: Write>(&self, w: W) -> io::Result<()> {
        write_csv(w, self.trange, &self.columns)
    }

    /// Writes the table to the file at `path`, replacing it.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let mut w = BufWriter::new(fs::File::create(path)?);
        self.write(&mut w)?;
        w.flush()
    }
}

/// Writes `time,<name>,…` and one line per time step to `w`.
///
/// Every column must have `trange.len()` values, or this fails with `InvalidInput` before writing
/// anything.
pub fn write_csv<W: Write>(
    w: W,
    trange: &[f64],
    columns: &[(String, ArrayView1<'_, f64>)],
) -> io::Result<()> {
    for (name, col) in columns {
        if col.len() != trange.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "CSV column `{name}` has {} values but the time axis has {}",
                    col.len(),
                    trange.len()
                ),
            ));
        }
    }
    let mut w = BufWriter::new(w);
    w.write_all(b"time")?;
    for (name, _) in columns {
        w.write_all(b",")?;
        w.write_all(quote_field(name).as_bytes())?;
    }
    w.write_all(b"\n")?;
    for (step, t) in trange.iter().enumerate() {
        write!(w, "{t:?}")?;
        for (_, col) in columns {
            write!(w, ",{:?}", col[step])?;
        }
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// Writes a (steps × dims) array as CSV with columns `name[0]`, `name[1]`, … after `time`.
pub fn write_csv_2d<W: Write>(
    w: W,
    trange: &[f64],
    name: &str,
    data: ArrayView2<'_, f64>,
) -> io::Result<()> {
    CsvTable::new(trange).probe(name, data).write(w)
}

/// Writes the CSV of [`write_csv`] to the file at `path`, replacing it.
pub fn save_csv(
    path: impl AsRef<Path>,
    trange: &[f64],
    columns: &[(String, ArrayView1<'_, f64>)],
) -> io::Result<()> {
    let mut w = BufWriter::new(fs::File::create(path)?);
    write_csv(&mut w, trange, columns)?;
    w.flush()
}

/// `field` as an RFC 4180 field: unchanged when it is plain, otherwise wrapped in double quotes
/// with inner quotes doubled.
pub fn quote_field(field: &str) -> String {
    let needs = field.is_empty()
        || field.contains([',', '"', '\n', '\r'])
        || field.starts_with(' ')
        || field.ends_with(' ');
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn header_and_rows() {
        let t = [0.001, 0.002, 0.003];
        let a = array![1.0, 2.5, -3.0];
        let b = array![0.1 + 0.2, 1e-7, f64::NAN];
        let s = text(|w| {
            write_csv(
                w,
                &t,
                &[("a".to_string(), a.view()), ("b".to_string(), b.view())],
            )
        });
        assert_eq!(
            s,
            "time,a,b\n0.001,1.0,0.30000000000000004\n0.002,2.5,1e-7\n0.003,-3.0,NaN\n"
        );
    }

    #[test]
    fn two_d_columns_named_by_index() {
        let t = [0.5, 1.0];
        let d = Array2::from_shape_vec((2, 3), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let s = text(|w| write_csv_2d(w, &t, "x", d.view()));
        assert_eq!(s, "time,x[0],x[1],x[2]\n0.5,1.0,2.0,3.0\n1.0,4.0,5.0,6.0\n");
        let s = text(|w| {
            CsvTable::new(&t)
                .probe("x", d.slice(ndarray::s![.., ..1]))
                .column("y", d.column(2))
                .write(w)
        });
        assert_eq!(s, "time,x[0],y\n0.5,1.0,3.0\n1.0,4.0,6.0\n");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_field("post[0]"), "post[0]");
        assert_eq!(quote_field("a,b"), "\"a,b\"");
        assert_eq!(quote_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote_field(" pad"), "\" pad\"");
        assert_eq!(quote_field(""), "\"\"");
        let t = [0.0];
        let v = array![1.0];
        let s = text(|w| write_csv(w, &t, &[("x,y".to_string(), v.view())]));
        assert_eq!(s, "time,\"x,y\"\n0.0,1.0\n");
    }

    #[test]
    fn floats_round_trip_exactly() {
        let vals = [
            0.1,
            1.0 / 3.0,
            -2.0e-310,
            f64::MAX,
            f64::MIN_POSITIVE,
            123456789.12345679,
            -0.0,
            f64::INFINITY,
        ];
        let t: Vec<f64> = (1..=vals.len()).map(|i| i as f64 * 1e-3).collect();
        let col = ndarray::Array1::from(vals.to_vec());
        let s = text(|w| write_csv(w, &t, &[("v".to_string(), col.view())]));
        for (line, (&want, &tw)) in s.lines().skip(1).zip(vals.iter().zip(&t)) {
            let (ts, vs) = line.split_once(',').unwrap();
            assert_eq!(ts.parse::<f64>().unwrap().to_bits(), tw.to_bits());
            assert_eq!(vs.parse::<f64>().unwrap().to_bits(), want.to_bits(), "{vs}");
        }
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let t = [0.0, 1.0];
        let v = array![1.0];
        let mut out = Vec::new();
        let e = write_csv(&mut out, &t, &[("v".to_string(), v.view())]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(out.is_empty());
    }

    #[test]
    fn save_to_file() {
        let dir = std::env::temp_dir().join(format!("netdsl-export-csv-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("probe.csv");
        let t = [0.001];
        let v = array![[2.0]];
        CsvTable::new(&t).probe("p", v.view()).save(&p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "time,p[0]\n0.001,2.0\n");
        let v1 = array![3.0];
        save_csv(&p, &t, &[("q".into(), v1.view())]).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "time,q\n0.001,3.0\n");
    }
}
