//! # lighed
//!
//! The gRPC service and the command-line interface. This crate is glue: it validates requests,
//! reads and writes through [`lighed_store`], reads files through [`lighed_ingest`], computes with
//! [`lighed_core`], and is the only crate that knows the wire format (`proto/lighed/v1`).
//!
//! Module map:
//! - [`pb`]: the generated protobuf/gRPC types (`lighed.v1`).
//! - [`settings`]: typed settings (data directory, database URL, listen address).
//! - [`bundle`]: what ships inside the binary — real geography, the SYNTHETIC demo extracts,
//!   the index models and the indicator registry.
//! - [`geography`]: the region, councils, municipalities, parishes and housing areas as rows.
//! - [`catalog`]: the index models the service can rank with.
//! - [`import`]: the one import path (files → ingest readers → one store transaction), also used
//!   to seed the demo data.
//! - [`state`]: opening the database (creating and seeding it on first use) and the shared
//!   [`state::AppState`].
//! - [`ranking`]: the rank use case, shared by gRPC and the CLI.
//! - [`planning`]: the deployment-planning use case (RecommendDeployment, ComparePlans).
//! - [`segments`]: the citizen-segment use case (ListSegments, ScoreSegments), protected by
//!   disclosure control.
//! - [`datasets`]: import a file, list, inspect and retire datasets (gRPC and CLI).
//! - [`error`]: [`error::AppError`] and its single mapping to `tonic::Status`.
//! - [`api`]: the gRPC service implementations; [`server`]: `serve(listener, state, shutdown)`.
//! - [`cli`]: the `lighed` command line.

pub mod api;
pub mod bundle;
pub mod catalog;
pub mod cli;
pub mod datasets;
pub mod error;
pub mod geography;
pub mod import;
pub mod planning;
pub mod ranking;
pub mod segments;
pub mod server;
pub mod settings;
pub mod state;

/// Generated protobuf and gRPC code for package `lighed.v1`.
pub mod pb {
    #![allow(missing_docs, clippy::all)]
    tonic::include_proto!("lighed.v1");

    /// Encoded file descriptor set of `proto/lighed/v1`, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/lighed_descriptor.bin"));
}
