//! Responses on a reused (keep-alive) connection must not stall: streamed SSR writes a page in
//! several pieces, and with Nagle's algorithm on, each later piece waits for the client's delayed
//! ACK (~40 ms). Measured as a ratio to `/healthz` on the same connection, so the test holds on a
//! slow or busy machine.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

/// Sends one HTTP/1.1 request on `stream` and reads the whole (chunked or sized) response;
/// returns how long it took.
async fn timed_request(stream: &mut TcpStream, request: &str) -> Duration {
    let started = Instant::now();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        response.extend_from_slice(&buf[..n]);
        if response_complete(&response) {
            return started.elapsed();
        }
    }
}

fn response_complete(response: &[u8]) -> bool {
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..head_end]).to_ascii_lowercase();
    let body = &response[head_end + 4..];
    if head.contains("transfer-encoding: chunked") {
        body.ends_with(b"0\r\n\r\n")
    } else {
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        body.len() >= length
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_server_functions_do_not_stall_on_a_reused_connection() {
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_string();
    let get =
        |path: &str| format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n\r\n");
    let server_fn = format!(
        "POST /api/session/current_user HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n"
    );
    let (mut health, mut pages, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    // Whether a write meets a delayed ACK depends on the connection's state, so use several.
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&host).await.unwrap();
        // The first exchange on a connection is not a reuse.
        timed_request(&mut stream, &get("/login")).await;
        for _ in 0..12 {
            health.push(timed_request(&mut stream, &get("/healthz")).await);
            pages.push(timed_request(&mut stream, &get("/login")).await);
            calls.push(timed_request(&mut stream, &server_fn).await);
        }
    }
    health.sort();
    let health = health[health.len() / 2];
    // A delayed-ACK stall adds ~40 ms to a request that otherwise takes a millisecond or two, on
    // many of a connection's requests. Two slow moments on a busy machine are forgiven; a
    // pattern of them is the stall.
    let budget = health * 20 + Duration::from_millis(25);
    let stalled = |times: &[Duration]| times.iter().filter(|t| **t > budget).count();
    assert!(
        stalled(&pages) <= 2,
        "/login on a reused connection: {pages:?}; /healthz {health:?}"
    );
    assert!(
        stalled(&calls) <= 2,
        "a server function on a reused connection: {calls:?}; /healthz {health:?}"
    );
}
