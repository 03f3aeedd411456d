//! TCP: [`TcpListener`] accepts connections, [`TcpStream`] is one connection, the halves of
//! [`TcpStream::split`] and [`TcpStream::into_split`] let one task read while another
//! writes, and [`TcpSocket`] sets options before a socket listens or connects.
//!
//! ```
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use goro::net::tcp::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! goro::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let mut client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (mut server, _) = listener.accept().await?;
//!     client.write_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     server.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     Ok(())
//! })
//! # }
//! ```

mod listener;
mod ready;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::TcpStream;
