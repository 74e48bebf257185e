//! `lighed.v1.RegistryService`: import extracts as versioned datasets; list, inspect, retire.

use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use crate::api::caller_of;
use crate::datasets;
use crate::error::AppError;
use crate::import::ImportRequest;
use crate::pb;
use crate::pb::registry_service_server::RegistryService;
use crate::state::AppState;

/// The registry service.
#[derive(Debug, Clone)]
pub struct RegistryApi {
    state: AppState,
}

impl RegistryApi {
    /// A service over the shared state.
    pub fn new(state: AppState) -> Self {
        RegistryApi { state }
    }
}

/// The wire form of a dataset.
pub fn dataset_pb(d: lighed_store::DatasetRow) -> pb::Dataset {
    pb::Dataset {
        id: d.id,
        source: d.source,
        format: d.format,
        table_id: d.table_id.unwrap_or_default(),
        checksum: d.checksum,
        encoding: d.encoding.unwrap_or_default(),
        presentation: d.presentation.unwrap_or_default(),
        periods: d
            .periods
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        row_count: d.row_count,
        missing_count: d.missing_count,
        imported_by: d.imported_by,
        created_at: d.created_at,
        status: d.status,
        retired_at: d.retired_at.unwrap_or_default(),
        retired_by: d.retired_by.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn import_dataset(
        &self,
        req: Request<Streaming<pb::ImportChunk>>,
    ) -> Result<Response<pb::ImportDatasetResponse>, Status> {
        let caller = caller_of(&req);
        let mut stream = req.into_inner();
        let header = match stream.next().await {
            Some(Ok(pb::ImportChunk {
                part: Some(pb::import_chunk::Part::Header(h)),
            })) => h,
            Some(Ok(_)) => {
                return Err(
                    AppError::invalid("header", "the first message must be the header").into(),
                );
            }
            Some(Err(e)) => return Err(e),
            None => return Err(AppError::invalid("header", "the stream is empty").into()),
        };
        let options = datasets::options_from_text(
            &header.format,
            &header.lang,
            &header.table,
            &header.encoding,
        )?;
        if header.file_name.trim().is_empty() {
            return Err(AppError::invalid("header.file_name", "is required").into());
        }
        // Spool to a temporary file in the data directory: bounded memory for any size.
        let mut spool = datasets::Spool::new(&self.state).await?;
        while let Some(chunk) = stream.next().await {
            match chunk?.part {
                Some(pb::import_chunk::Part::Data(bytes)) => spool.write(&bytes).await?,
                Some(pb::import_chunk::Part::Header(_)) => {
                    return Err(AppError::invalid(
                        "header",
                        "only the first message may be a header",
                    )
                    .into());
                }
                None => {}
            }
        }
        let req = ImportRequest {
            source_name: header.file_name.clone(),
            options,
            imported_by: caller.principal.clone(),
        };
        let (row, already) = datasets::import_spool(&self.state, &req, spool).await?;
        Ok(Response::new(pb::ImportDatasetResponse {
            dataset: Some(dataset_pb(row)),
            already_imported: already,
        }))
    }

    async fn list_datasets(
        &self,
        req: Request<pb::ListDatasetsRequest>,
    ) -> Result<Response<pb::ListDatasetsResponse>, Status> {
        let include_retired = req.into_inner().include_retired;
        let rows = datasets::list(&self.state, include_retired).await?;
        Ok(Response::new(pb::ListDatasetsResponse {
            datasets: rows.into_iter().map(dataset_pb).collect(),
        }))
    }

    async fn get_dataset(
        &self,
        req: Request<pb::GetDatasetRequest>,
    ) -> Result<Response<pb::Dataset>, Status> {
        let row = datasets::get(&self.state, req.into_inner().id).await?;
        Ok(Response::new(dataset_pb(row)))
    }

    async fn retire_dataset(
        &self,
        req: Request<pb::RetireDatasetRequest>,
    ) -> Result<Response<pb::Dataset>, Status> {
        let caller = caller_of(&req);
        let row = datasets::retire(&self.state, req.into_inner().id, &caller.principal).await?;
        Ok(Response::new(dataset_pb(row)))
    }
}
