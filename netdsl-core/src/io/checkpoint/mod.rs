//! Checkpoints: the whole state of a running simulator in one versioned, checksummed file, so
//! that a run can be stopped and resumed — in a fresh simulator, in another process — with
//! bit-identical results. See [`Simulator::save_checkpoint`](crate::sim::Simulator::save_checkpoint)
//! and [`Simulator::resume`](crate::sim::Simulator::resume); the file layout is in [`format`](mod@format).
//!
//! User state values (the `state` objects that `obj.method` stages call) are saved through the
//! [`Checkpoint`] trait, found by type: implement it and call [`register_state`] once for the
//! type (or add the value with [`NetworkCheckpointExt::add_checkpointed_state`]). Saving a
//! simulator with a state value whose type is not registered is an error
//! ([`CheckpointError::Unsupported`]), never a silent loss.
//!
//! ```
//! use std::io::{self, Read, Write};
//! use netdsl_core::io::checkpoint::{register_state, Checkpoint};
//!
//! struct Counter(u64);
//! impl Checkpoint for Counter {
//!     fn save(&self, w: &mut dyn Write) -> io::Result<()> {
//!         w.write_all(&self.0.to_le_bytes())
//!     }
//!     fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
//!         let mut b = [0; 8];
//!         r.read_exact(&mut b)?;
//!         self.0 = u64::from_le_bytes(b);
//!         Ok(())
//!     }
//! }
//! register_state::<Counter>();
//! ```

pub mod format;

use std::any::{Any, TypeId};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::network::{Network, StateId};

/// A user state value that can be saved into and restored from a checkpoint.
///
/// `load` is called on the value of a freshly built network (as constructed by the same code),
/// with the bytes `save` wrote; it must restore everything that stepping changes. The bytes of
/// one value are kept apart from the rest: `load` reading fewer bytes than `save` wrote is an
/// error, so are reading past them.
pub trait Checkpoint: Any + Send {
    /// Writes the value's state.
    fn save(&self, w: &mut dyn Write) -> io::Result<()>;
    /// Restores the state `save` wrote.
    fn load(&mut self, r: &mut dyn Read) -> io::Result<()>;
}

macro_rules! plain_checkpoint {
    ($($t:ty),*) => {$(
        impl Checkpoint for $t {
            fn save(&self, w: &mut dyn Write) -> io::Result<()> {
                w.write_all(&self.to_le_bytes())
            }
            fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                r.read_exact(&mut b)?;
                *self = <$t>::from_le_bytes(b);
                Ok(())
            }
        }
        impl Checkpoint for Vec<$t> {
            fn save(&self, w: &mut dyn Write) -> io::Result<()> {
                w.write_all(&(self.len() as u64).to_le_bytes())?;
                for x in self {
                    w.write_all(&x.to_le_bytes())?;
                }
                Ok(())
            }
            fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
                let mut b = [0u8; 8];
                r.read_exact(&mut b)?;
                let n = u64::from_le_bytes(b) as usize;
                // Read element by element: a corrupt length fails at the end of the bytes
                // instead of reserving memory for it.
                self.clear();
                for _ in 0..n {
                    let mut b = [0u8; std::mem::size_of::<$t>()];
                    r.read_exact(&mut b)?;
                    self.push(<$t>::from_le_bytes(b));
                }
                Ok(())
            }
        }
    )*};
}

plain_checkpoint!(u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, f32, f64);

impl Checkpoint for bool {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(&[u8::from(*self)])
    }
    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        *self = b[0] != 0;
        Ok(())
    }
}

impl Checkpoint for () {
    fn save(&self, _: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn load(&mut self, _: &mut dyn Read) -> io::Result<()> {
        Ok(())
    }
}

type SaveFn = fn(&dyn Any, &mut dyn Write) -> io::Result<()>;
type LoadFn = fn(&mut dyn Any, &mut dyn Read) -> io::Result<()>;

/// How to save and load one registered type.
#[derive(Clone, Copy)]
pub(crate) struct Codec {
    pub(crate) type_name: &'static str,
    pub(crate) save: SaveFn,
    pub(crate) load: LoadFn,
}

fn save_as<T: Checkpoint>(v: &dyn Any, w: &mut dyn Write) -> io::Result<()> {
    match v.downcast_ref::<T>() {
        Some(v) => v.save(w),
        None => Err(io::Error::other("state type changed")),
    }
}

fn load_as<T: Checkpoint>(v: &mut dyn Any, r: &mut dyn Read) -> io::Result<()> {
    match v.downcast_mut::<T>() {
        Some(v) => v.load(r),
        None => Err(io::Error::other("state type changed")),
    }
}

fn codec<T: Checkpoint>() -> (TypeId, Codec) {
    (
        TypeId::of::<T>(),
        Codec {
            type_name: std::any::type_name::<T>(),
            save: save_as::<T>,
            load: load_as::<T>,
        },
    )
}

fn registry() -> &'static Mutex<Vec<(TypeId, Codec)>> {
    static REGISTRY: OnceLock<Mutex<Vec<(TypeId, Codec)>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        macro_rules! builtin {
            ($($t:ty),*) => { vec![$(codec::<$t>(), codec::<Vec<$t>>()),*] };
        }
        let mut v = builtin!(u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, f32, f64);
        v.push(codec::<bool>());
        v.push(codec::<()>());
        Mutex::new(v)
    })
}

/// Registers `T`'s [`Checkpoint`] implementation for every state value of type `T`, in every
/// simulator of this process (idempotent). Numbers, `bool`, `()` and `Vec`s of numbers are
/// registered already.
pub fn register_state<T: Checkpoint>() {
    let (id, c) = codec::<T>();
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    if !reg.iter().any(|(t, _)| *t == id) {
        reg.push((id, c));
    }
}

/// The codec of the value's type, if registered.
pub(crate) fn codec_of(value: &dyn Any) -> Option<Codec> {
    let id = value.type_id();
    let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    reg.iter().find(|(t, _)| *t == id).map(|(_, c)| *c)
}

/// [`Network::add_state`] for a value that goes into checkpoints: registers its type
/// ([`register_state`]) and adds it.
pub trait NetworkCheckpointExt {
    /// Adds a state value whose type implements [`Checkpoint`].
    fn add_checkpointed_state<T: Checkpoint>(
        &mut self,
        name: impl Into<String>,
        value: T,
    ) -> StateId;
}

impl NetworkCheckpointExt for Network {
    fn add_checkpointed_state<T: Checkpoint>(
        &mut self,
        name: impl Into<String>,
        value: T,
    ) -> StateId {
        register_state::<T>();
        self.add_state(name, value)
    }
}

/// When [`Simulator::checkpoint_every`](crate::sim::Simulator::checkpoint_every) writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointEvery {
    /// After the step during which this much wall-clock time has passed since the last
    /// checkpoint (or since the call): bounds the work a crash can lose, whatever the network's
    /// speed. The clock is read every 64 steps.
    Wall(Duration),
    /// After every step at which this much simulated time has passed since the last checkpoint:
    /// checkpoints at reproducible times (e.g. to branch experiments off them).
    SimTime(f64),
}

/// Why a checkpoint could not be written or read, or a probe not streamed.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file does not start with the checkpoint magic.
    #[error("{path} is not a netdsl checkpoint (no `NDSLCKPT` header)")]
    NotACheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by another format version.
    #[error(
        "checkpoint {path} has format version {found}; this build reads version {supported} only"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// This build's.
        supported: u32,
    },
    /// The file is shorter (or longer) than its header says: cut off while written or copied.
    #[error("checkpoint {path} is truncated: {found} bytes, its header announces {expected}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes announced.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// The checksum does not match: the file was changed or damaged.
    #[error(
        "checkpoint {path} is corrupt: CRC-32 {computed:08x} of its contents, {stored:08x} stored"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Stored checksum.
        stored: u32,
        /// Computed checksum.
        computed: u32,
    },
    /// The checkpoint was taken from another network (or the same one built differently).
    #[error("checkpoint {path} is of another network: {what}")]
    OtherNetwork {
        /// The file.
        path: PathBuf,
        /// What differs.
        what: String,
    },
    /// The payload does not have the fields this version writes (a bug, or a crafted file
    /// with a valid checksum).
    #[error("checkpoint {path} is malformed: {what}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What could not be read.
        what: String,
    },
    /// Part of the state cannot be saved.
    #[error("cannot checkpoint {what}")]
    Unsupported {
        /// What, and how to make it savable.
        what: String,
    },
    /// A user state value's `save` or `load` failed.
    #[error("state value `{name}` ({type_name}): {source}")]
    State {
        /// The state's name.
        name: String,
        /// Its type.
        type_name: &'static str,
        /// The error.
        source: io::Error,
    },
    /// The network given to [`Simulator::resume`](crate::sim::Simulator::resume) did not build.
    #[error(transparent)]
    Build(#[from] crate::error::BuildError),
    /// No probe has this name.
    #[error("no probe named `{0}`")]
    UnknownProbe(String),
    /// A streamed probe's file could not be written, or (on resume) does not hold the samples
    /// the checkpoint says were written.
    #[error("streamed probe `{probe}` ({path}): {what}")]
    Stream {
        /// The probe.
        probe: String,
        /// Its file.
        path: PathBuf,
        /// What went wrong.
        what: String,
    },
}

/// For code generated by `network!` (concrete types only): `(&auto_register(&value)).register()`
/// registers the value's type when it implements [`Checkpoint`] and does nothing otherwise
/// (autoref specialisation: [`RegisterCheckpoint`] applies to `AutoRegister<T>` when
/// `T: Checkpoint`, and is tried before [`RegisterFallback`], which applies to
/// `&AutoRegister<T>` for every `T`). Bring both traits into scope.
#[doc(hidden)]
pub struct AutoRegister<T>(std::marker::PhantomData<T>);

/// See [`AutoRegister`].
#[doc(hidden)]
pub fn auto_register<T>(_value: &T) -> AutoRegister<T> {
    AutoRegister(std::marker::PhantomData)
}

/// See [`AutoRegister`].
#[doc(hidden)]
pub trait RegisterCheckpoint {
    /// Registers the type.
    fn register(&self);
}

impl<T: Checkpoint> RegisterCheckpoint for AutoRegister<T> {
    fn register(&self) {
        register_state::<T>();
    }
}

/// See [`AutoRegister`].
#[doc(hidden)]
pub trait RegisterFallback {
    /// Does nothing.
    fn register(&self);
}

impl<T> RegisterFallback for &AutoRegister<T> {
    fn register(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Savable;
    impl Checkpoint for Savable {
        fn save(&self, _: &mut dyn Write) -> io::Result<()> {
            Ok(())
        }
        fn load(&mut self, _: &mut dyn Read) -> io::Result<()> {
            Ok(())
        }
    }
    struct Plain;

    #[test]
    // The borrow is what makes the fallback apply (clippy does not see the specialisation).
    #[allow(clippy::needless_borrow)]
    fn generated_code_registers_exactly_the_checkpoint_types() {
        #[allow(unused_imports)]
        use super::{RegisterCheckpoint as _, RegisterFallback as _};
        let (s, p) = (Savable, Plain);
        (&auto_register(&s)).register();
        (&auto_register(&p)).register();
        assert!(codec_of(&s).is_some());
        assert!(codec_of(&p).is_none());
    }
}
