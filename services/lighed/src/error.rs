//! [`AppError`]: every failure a request can meet, mapped once to a `tonic::Status` (with field
//! violations for bad arguments) and once to a CLI exit code.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The request field (or `file:line:column` for a rejected file).
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

/// Errors of the use cases.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: one or more fields are invalid.
    #[error("{message}")]
    InvalidArgument {
        /// Summary.
        message: String,
        /// Every bad field.
        violations: Vec<FieldViolation>,
    },
    /// A named thing (area, council, dataset, model run) does not exist.
    #[error("{message}")]
    NotFound {
        /// The request field that named it.
        field: String,
        /// Summary.
        message: String,
    },
    /// The request is valid but the state does not allow it (e.g. retiring a retired dataset).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database failed.
    #[error("database error")]
    Store(#[from] lighed_store::StoreError),
    /// Anything else that is not the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// An invalid-argument error for one field.
    pub fn invalid(field: &str, description: impl Into<String>) -> AppError {
        let description = description.into();
        AppError::InvalidArgument {
            message: format!("{field}: {description}"),
            violations: vec![FieldViolation {
                field: field.to_owned(),
                description,
            }],
        }
    }

    /// A not-found error naming the field.
    pub fn not_found(field: &str, message: impl Into<String>) -> AppError {
        AppError::NotFound {
            field: field.to_owned(),
            message: format!("{field}: {}", message.into()),
        }
    }

    /// The gRPC status code of this error.
    pub fn code(&self) -> Code {
        match self {
            AppError::InvalidArgument { .. } => Code::InvalidArgument,
            AppError::NotFound { .. } => Code::NotFound,
            AppError::FailedPrecondition(_) => Code::FailedPrecondition,
            AppError::Store(_) | AppError::Internal(_) => Code::Internal,
        }
    }

    /// The process exit code the CLI uses: 2 for the caller's mistakes, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self.code() {
            Code::InvalidArgument | Code::NotFound | Code::FailedPrecondition => 2,
            _ => 1,
        }
    }
}

impl From<lighed_planner::PlanError> for AppError {
    /// Planning errors: bad fields and infeasible requests are the caller's (`InvalidArgument`,
    /// naming the field or the constraint); a plan not found within the limits is a
    /// `FailedPrecondition` (the request may be feasible, but not within the time given).
    fn from(e: lighed_planner::PlanError) -> AppError {
        use lighed_planner::{Constraint, PlanError};
        match &e {
            PlanError::Invalid { field, message } => AppError::invalid(field, message.clone()),
            PlanError::Infeasible(c) => {
                let field = match c {
                    Constraint::OpenCount { .. } | Constraint::RequiredExceedOpen { .. } => "open",
                    Constraint::Budget { .. } => "budget_kr",
                    Constraint::CouncilBudget { .. } => "fairness.council_budget_kr",
                    Constraint::CouncilFloor { .. } => "fairness.min_share",
                    Constraint::CouncilCap { .. } => "fairness.max_share",
                    Constraint::Uncoverable { .. } | Constraint::Unreachable { .. } => "sites",
                    _ => "fairness",
                };
                AppError::invalid(field, e.to_string())
            }
            PlanError::NoFeasiblePlanFound { .. } => AppError::FailedPrecondition(e.to_string()),
            PlanError::TooLarge(_) => AppError::invalid("demand", e.to_string()),
            _ => AppError::Internal(e.to_string()),
        }
    }
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Status {
        match &e {
            AppError::InvalidArgument {
                message,
                violations,
            } => {
                let mut d = ErrorDetails::new();
                for v in violations {
                    d.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                Status::with_error_details(Code::InvalidArgument, message.clone(), d)
            }
            AppError::NotFound { field, message } => {
                let mut d = ErrorDetails::new();
                d.add_bad_request_violation(field.clone(), message.clone());
                Status::with_error_details(Code::NotFound, message.clone(), d)
            }
            AppError::FailedPrecondition(m) => Status::failed_precondition(m.clone()),
            AppError::Store(cause) => {
                tracing::error!(error = %cause, source = ?std::error::Error::source(cause), "store failure");
                Status::internal("internal error (logged on the server)")
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal failure");
                Status::internal("internal error (logged on the server)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_the_field() {
        let s: Status = AppError::invalid("level", "unknown level 'x'").into();
        assert_eq!(s.code(), Code::InvalidArgument);
        let d = s.get_error_details();
        let br = d.bad_request().expect("bad request details");
        assert_eq!(br.field_violations[0].field, "level");
    }

    #[test]
    fn internal_errors_do_not_leak_causes() {
        let s: Status = AppError::Internal("secret path /x".into()).into();
        assert_eq!(s.code(), Code::Internal);
        assert!(!s.message().contains("secret"));
    }
}
