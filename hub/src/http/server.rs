//! The accept loop: plain HTTP and TLS on one listener (told apart by the first byte), HTTP/1.1
//! keep-alive via hyper, graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

use crate::ctx::Ctx;
use crate::http::{router, tls};
use crate::rpc::call::Peer;

/// The first byte of a TLS ClientHello record.
const TLS_HANDSHAKE: u8 = 0x16;

/// How long in-flight calls get to finish after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves HTTP on `listener` until `shutdown` completes, then waits for calls in flight.
pub async fn serve(listener: TcpListener, ctx: Arc<Ctx>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, addr)) => {
                        let _ = stream.set_nodelay(true);
                        let peer = Peer { ip: addr.ip(), certificate: None, via_ssllogin: false, tls: false };
                        spawn_connection(stream, peer, ctx.clone(), &graceful);
                    }
                    Err(e) => {
                        // Running out of file descriptors, most likely: back off instead of spinning.
                        warn!(error = %e, "accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    info!("shutting down: waiting for calls in flight");
    tokio::select! {
        () = graceful.shutdown() => info!("all connections closed"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => warn!("gave up waiting for connections after {SHUTDOWN_GRACE:?}"),
    }
}

fn http1_builder() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(300));
    builder
}

fn spawn_connection(stream: TcpStream, peer: Peer, ctx: Arc<Ctx>, graceful: &GracefulShutdown) {
    let watcher = graceful.watcher();
    tokio::spawn(async move {
        let mut first = [0_u8; 1];
        let is_tls = matches!(stream.peek(&mut first).await, Ok(1) if first[0] == TLS_HANDSHAKE);
        match (is_tls, ctx.tls.clone()) {
            (true, Some(acceptor)) => {
                let tls_stream =
                    match tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            debug!(error = %e, peer = %peer.ip, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            debug!(peer = %peer.ip, "TLS handshake timed out");
                            return;
                        }
                    };
                let certificate = tls_stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .and_then(|der| tls::client_identity(der));
                let peer = Arc::new(Peer {
                    certificate,
                    tls: true,
                    ..peer
                });
                let service = service_fn(move |req| {
                    let (ctx, peer) = (ctx.clone(), peer.clone());
                    async move { Ok::<_, Infallible>(router::route(ctx, peer, req).await) }
                });
                let conn = http1_builder().serve_connection(TokioIo::new(tls_stream), service);
                if let Err(e) = watcher.watch(conn).await {
                    debug!(error = %e, "connection ended: {e}");
                }
            }
            _ => {
                let peer = Arc::new(peer);
                let service = service_fn(move |req| {
                    let (ctx, peer) = (ctx.clone(), peer.clone());
                    async move { Ok::<_, Infallible>(router::route(ctx, peer, req).await) }
                });
                let conn = http1_builder().serve_connection(TokioIo::new(stream), service);
                if let Err(e) = watcher.watch(conn).await {
                    debug!(error = %e, "connection ended: {e}");
                }
            }
        }
    });
}
