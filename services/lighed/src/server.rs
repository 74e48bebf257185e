//! `serve(listener, state, shutdown)`: the gRPC server with health, reflection and gRPC-Web.
//! `main` binds the listener and tests pass one bound to port 0, so both drive the same code.

use std::future::Future;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use crate::api::planning::PlanningApi;
use crate::api::registry::RegistryApi;
use crate::api::scoring::ScoringApi;
use crate::api::segments::SegmentApi;
use crate::pb::planning_service_server::PlanningServiceServer;
use crate::pb::registry_service_server::RegistryServiceServer;
use crate::pb::scoring_service_server::ScoringServiceServer;
use crate::pb::segment_service_server::SegmentServiceServer;
use crate::state::AppState;

/// Largest request or response message accepted (bytes).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// The server could not start or failed while serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The reflection service rejected the embedded descriptors.
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves every service on `listener` until `shutdown` completes, then drains in-flight calls.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let registry = RegistryServiceServer::new(RegistryApi::new(state.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let planning = PlanningServiceServer::new(PlanningApi::new(state.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let segments = SegmentServiceServer::new(SegmentApi::new(state.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let scoring = ScoringServiceServer::new(ScoringApi::new(state))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    // The state is opened (migrated, seeded) before serve is called, so we are serving now.
    health_reporter
        .set_serving::<ScoringServiceServer<ScoringApi>>()
        .await;
    health_reporter
        .set_serving::<RegistryServiceServer<RegistryApi>>()
        .await;
    health_reporter
        .set_serving::<PlanningServiceServer<PlanningApi>>()
        .await;
    health_reporter
        .set_serving::<SegmentServiceServer<SegmentApi>>()
        .await;
    Server::builder()
        .accept_http1(true)
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(health_service)
        .add_service(reflection)
        .add_service(scoring)
        .add_service(registry)
        .add_service(planning)
        .add_service(segments)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
