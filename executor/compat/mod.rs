//! Fitting the ecosystem: running libraries written for other runtimes on goro.
//!
//! Each part is a cargo feature, except the first:
//! - always: [`Handle`](crate::Handle) implements [`futures::task::Spawn`], for libraries
//!   that take a generic spawner;
//! - `hyper`: [`goro::hyper`](crate::hyper), an I/O wrapper, an executor and a timer for
//!   hyper 1.x, so that hyper's servers and clients run on goro unchanged, and a connector for
//!   hyper-util's pooled client;
//! - `tokio-io`: goro's byte streams also implement `tokio::io::{AsyncRead, AsyncWrite}`,
//!   for codecs and protocol libraries written against tokio's traits (tokio comes without
//!   any runtime feature: only the traits);
//! - `tokio-compat`: [`compat::tokio`](self::tokio), where `Compat` runs futures that need
//!   tokio's *runtime* (reqwest, sqlx, tonic, anything on `tokio::net` or `tokio::time`)
//!   inside goro tasks.
//!
//! ```
//! use futures::task::SpawnExt;
//!
//! // A library that takes "any spawner" runs its tasks on goro.
//! let runtime = goro::Runtime::new().unwrap();
//! let spawner = runtime.handle().clone();
//! let answer = spawner.spawn_with_handle(async { 6 * 7 }).unwrap();
//! assert_eq!(runtime.block_on(answer), 42);
//! ```

// For contributors: everything here only forwards to goro's own types, with no scheduling,
// no I/O and no `unsafe` of its own. The arrows point one way: this module uses the public
// features (`runtime/`, `time/`, `net/`), and nothing uses it.

#[cfg(feature = "hyper")]
#[doc(hidden)] // public as `goro::hyper`
pub mod hyper;
mod spawn;
#[cfg(feature = "tokio-compat")]
pub mod tokio;
#[cfg(feature = "tokio-io")]
mod tokio_io;
