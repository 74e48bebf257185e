//! The models shipped in `models/`, compiled into the binary so that `--model NAME` works without
//! the source tree (reading a file is the caller's job; these are embedded at build time).

use super::{ModelError, ModelSpec};

/// (name, file name in `models/`, text) of every shipped model.
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "rm-health-inequality-v1",
        "rm-health-inequality-v1.toml",
        include_str!("../../../../models/rm-health-inequality-v1.toml"),
    ),
    (
        "rm-health-inequality-v0",
        "rm-health-inequality-v0.toml",
        include_str!("../../../../models/rm-health-inequality-v0.toml"),
    ),
    (
        "svi-2020",
        "svi-2020.toml",
        include_str!("../../../../models/svi-2020.toml"),
    ),
    (
        "iod-2019-combination",
        "iod-2019-combination.toml",
        include_str!("../../../../models/iod-2019-combination.toml"),
    ),
    (
        "dk-61a-udsat",
        "dk-61a-udsat.toml",
        include_str!("../../../../models/dk-61a-udsat.toml"),
    ),
    (
        "dk-61b-forebyggelse",
        "dk-61b-forebyggelse.toml",
        include_str!("../../../../models/dk-61b-forebyggelse.toml"),
    ),
    (
        "dk-ghettoliste-2010",
        "dk-ghettoliste-2010.toml",
        include_str!("../../../../models/dk-ghettoliste-2010.toml"),
    ),
];

/// The default index model of the service.
pub const DEFAULT_MODEL: &str = "rm-health-inequality-v1";

/// Names of the shipped models, the default first.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _, _)| *n).collect()
}

/// The TOML text of a shipped model.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, t)| *t)
}

impl ModelSpec {
    /// Loads a shipped model by name (`None` for an unknown name). Errors name `models/<file>`.
    pub fn builtin(name: &str) -> Option<Result<ModelSpec, ModelError>> {
        BUILTIN
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, file, text)| ModelSpec::from_toml(&format!("models/{file}"), text))
    }
}
