//! Unix domain stream sockets: [`UnixListener`] and [`UnixStream`], the local-machine twins
//! of TCP, addressed by a path in the file system instead of an IP address and port.
//!
//! The listener's path is a file that binding creates and that stays after the listener
//! drops (as with `std`): remove it when done, or before binding again.
//!
//! ```
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use goro::net::{UnixListener, UnixStream};
//!
//! # fn main() -> std::io::Result<()> {
//! let path = std::env::temp_dir().join(format!("goro-doc-unix-{}.sock", std::process::id()));
//! let _ = std::fs::remove_file(&path);
//! goro::run(async {
//!     let listener = UnixListener::bind(&path)?;
//!     let mut client = UnixStream::connect(&path).await?;
//!     let (mut server, _) = listener.accept().await?;
//!     client.write_all(b"local").await?;
//!     let mut buf = [0; 5];
//!     server.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"local");
//!     Ok::<_, std::io::Error>(())
//! })?;
//! std::fs::remove_file(&path)
//! # }
//! ```

mod listener;
mod ready;
mod stream;

pub use listener::UnixListener;
pub use stream::UnixStream;
