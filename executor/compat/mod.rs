//! Fitting the ecosystem: what lets libraries written for other runtimes' traits run on goro.
//!
//! - [`spawn`]: [`Handle`](crate::Handle) implements [`futures::task::Spawn`], for
//!   libraries that take a generic spawner. Always on.
//! - `hyper` (cargo feature `hyper`, public as [`goro::hyper`](crate::hyper)): an I/O
//!   wrapper, an executor and a timer for hyper 1.x, so that hyper's servers and clients
//!   run on goro unchanged, and a connector for hyper-util's pooled client.
//! - `tokio_io` (cargo feature `tokio-io`): goro's byte streams also implement
//!   `tokio::io::{AsyncRead, AsyncWrite}`, for codecs and protocol libraries written
//!   against tokio's traits (tokio comes without any runtime feature: only the traits).
//!
//! Everything here only forwards to goro's own types: no scheduling, no I/O and no
//! `unsafe` of its own. The arrows point one way: this module uses the public features
//! (`runtime/`, `time/`, `net/`), and nothing uses it.

#[cfg(feature = "hyper")]
pub mod hyper;
mod spawn;
#[cfg(feature = "tokio-io")]
mod tokio_io;
