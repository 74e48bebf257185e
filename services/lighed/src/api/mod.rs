//! gRPC service implementations, one module per service of `proto/lighed/v1`.

pub mod planning;
pub mod registry;
pub mod scoring;
pub mod segments;

use tonic::Request;

use crate::ranking::Caller;

/// Who made a gRPC request: the `x-lighed-principal` metadata when present (set by the
/// authentication layer or a trusted gateway), otherwise the peer address — so every recorded
/// run is attributable.
pub fn caller_of<T>(req: &Request<T>) -> Caller {
    let principal = req
        .metadata()
        .get("x-lighed-principal")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .map(|s| format!("grpc:{s}"))
        .or_else(|| req.remote_addr().map(|a| format!("grpc-peer:{a}")))
        .unwrap_or_else(|| "grpc:unknown".to_owned());
    Caller {
        principal,
        channel: "grpc",
    }
}
