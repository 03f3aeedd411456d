//! tokio's I/O traits on goro's sockets (feature `tokio-io`): a length-delimited framing
//! written against `tokio::io::{AsyncRead, AsyncWrite}` only, round-tripping over goro's TCP
//! and Unix streams.

#![cfg(feature = "tokio-io")]

use goro::net::{TcpListener, TcpStream};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Frames longer than this are refused.
const MAX_FRAME: usize = 1 << 20;

/// Writes one frame: a big-endian `u32` length, then the payload.
async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| io::Error::other("frame too long"))?;
    writer.write_u32(len).await?;
    writer.write_all(payload).await?;
    writer.flush().await
}

/// Reads one frame; `None` at a clean end of stream (between frames).
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Option<Vec<u8>>> {
    let len = match reader.read_u32().await {
        Ok(len) => len as usize,
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    };
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too long"));
    }
    let mut payload = vec![0; len];
    reader.read_exact(&mut payload).await?;
    Ok(Some(payload))
}

/// The frames a test sends: empty, small, and larger than a socket buffer.
fn frames() -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = vec![Vec::new(), b"hello".to_vec()];
    for (i, len) in [1, 100, 4096, 65_537, 300_000].into_iter().enumerate() {
        frames.push((0..len).map(|b| (b * 31 + i) as u8).collect());
    }
    frames
}

/// Echoes frames back until the peer closes, with tokio's traits on a goro stream.
async fn echo_frames<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> io::Result<usize> {
    let mut count = 0;
    while let Some(frame) = read_frame(&mut stream).await? {
        write_frame(&mut stream, &frame).await?;
        count += 1;
    }
    stream.shutdown().await?;
    Ok(count)
}

#[goro::test(timeout_ms = 60_000)]
async fn frames_round_trip_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = goro::spawn(async move {
        let (stream, _) = listener.accept().await?;
        echo_frames(stream).await
    });

    let mut client = TcpStream::connect(addr).await.unwrap();
    for frame in frames() {
        write_frame(&mut client, &frame).await.unwrap();
        assert_eq!(read_frame(&mut client).await.unwrap(), Some(frame));
    }
    // tokio's poll_shutdown (the inherent `TcpStream::shutdown` takes a `Shutdown`).
    AsyncWriteExt::shutdown(&mut client).await.unwrap();
    assert_eq!(read_frame(&mut client).await.unwrap(), None);
    assert_eq!(server.await.unwrap().unwrap(), frames().len());
}

#[goro::test(timeout_ms = 60_000)]
async fn owned_halves_stream_frames_from_two_tasks() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = goro::spawn(async move {
        let (stream, _) = listener.accept().await?;
        echo_frames(stream).await
    });

    let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    // All frames go out from one task while another reads the echoes: the socket buffers
    // fill up on both sides, so this only finishes if both directions make progress.
    let sender = goro::spawn(async move {
        for _ in 0..20 {
            for frame in frames() {
                write_frame(&mut writer, &frame).await?;
            }
        }
        writer.shutdown().await
    });
    let mut received = 0;
    while let Some(frame) = read_frame(&mut reader).await.unwrap() {
        let expected = &frames()[received % frames().len()];
        assert_eq!(&frame, expected, "frame {received}");
        received += 1;
    }
    sender.await.unwrap().unwrap();
    assert_eq!(received, 20 * frames().len());
    assert_eq!(server.await.unwrap().unwrap(), received);
}

#[goro::test(timeout_ms = 60_000)]
async fn borrowed_halves_and_references_work_too() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();

    let (mut reader, mut writer) = client.split();
    write_frame(&mut writer, b"through a WriteHalf")
        .await
        .unwrap();
    let mut server_ref = &server;
    let frame = read_frame(&mut server_ref).await.unwrap().unwrap();
    write_frame(&mut server_ref, &frame).await.unwrap();
    assert_eq!(
        read_frame(&mut reader).await.unwrap().unwrap(),
        b"through a WriteHalf"
    );
}

#[cfg(unix)]
#[goro::test(timeout_ms = 60_000)]
async fn frames_round_trip_over_unix_streams() {
    let (client, server) = goro::net::UnixStream::pair().unwrap();
    let server = goro::spawn(echo_frames(server));
    let mut client = client;
    for frame in frames() {
        write_frame(&mut client, &frame).await.unwrap();
        assert_eq!(read_frame(&mut client).await.unwrap(), Some(frame));
    }
    AsyncWriteExt::shutdown(&mut client).await.unwrap();
    assert_eq!(server.await.unwrap().unwrap(), frames().len());
}

#[goro::test(timeout_ms = 60_000)]
async fn a_truncated_frame_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    client.write_u32(10).await.unwrap();
    client.write_all(b"short").await.unwrap();
    AsyncWriteExt::shutdown(&mut client).await.unwrap();
    let err = read_frame(&mut server).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}
