//! The index models the service can rank with: the files shipped in `models/` (embedded), or a
//! directory given at start-up.

use std::path::Path;

use lighed_core::model::ModelSpec;

/// Models tried, in order, when a request names none.
pub const DEFAULT_MODEL_PREFERENCE: &[&str] =
    &["rm-health-inequality-v1", "rm-health-inequality-v0"];

/// A set of validated models, sorted by name.
#[derive(Debug, Clone)]
pub struct ModelCatalog {
    models: Vec<ModelSpec>,
    default: String,
}

/// A model file failed to load.
#[derive(Debug, thiserror::Error)]
#[error("model file {file}: {message}")]
pub struct CatalogError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl ModelCatalog {
    /// Builds a catalog from (file name, text) pairs; every file must validate.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ModelCatalog, CatalogError> {
        let mut models = Vec::new();
        for (name, text) in files {
            let spec = ModelSpec::from_toml(name, text).map_err(|e| CatalogError {
                file: name.to_owned(),
                message: e.to_string(),
            })?;
            if models.iter().any(|m: &ModelSpec| m.name() == spec.name()) {
                return Err(CatalogError {
                    file: name.to_owned(),
                    message: format!("a second model is named '{}'", spec.name()),
                });
            }
            models.push(spec);
        }
        models.sort_by(|a, b| a.name().cmp(b.name()));
        let default = DEFAULT_MODEL_PREFERENCE
            .iter()
            .find(|d| models.iter().any(|m| m.name() == **d))
            .map(|d| (*d).to_owned())
            .or_else(|| models.first().map(|m| m.name().to_owned()))
            .ok_or_else(|| CatalogError {
                file: "(catalog)".into(),
                message: "no index model found".into(),
            })?;
        Ok(ModelCatalog { models, default })
    }

    /// The models shipped in the binary (`models/*.toml`, embedded by `lighed-core`).
    pub fn bundled() -> Result<ModelCatalog, CatalogError> {
        let files: Vec<(String, &str)> = lighed_core::model::builtin_names()
            .into_iter()
            .filter_map(|n| {
                lighed_core::model::builtin_text(n).map(|t| (format!("models/{n}.toml"), t))
            })
            .collect();
        Self::from_files(files.iter().map(|(n, t)| (n.as_str(), *t)))
    }

    /// A model by name from this catalog, or else from a file path (`lighed score --model`).
    pub fn resolve(&self, name_or_path: &str) -> Result<ModelSpec, CatalogError> {
        if let Some(m) = self.get(name_or_path) {
            return Ok(m.clone());
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let known: Vec<&str> = self.models.iter().map(|m| m.name()).collect();
            return Err(CatalogError {
                file: name_or_path.to_owned(),
                message: format!(
                    "no such model or file; shipped models: {}",
                    known.join(", ")
                ),
            });
        }
        load_file(path)
    }

    /// The `*.toml` models of a directory (the indicator registry `indicators.toml` is skipped).
    pub fn from_dir(dir: &Path) -> Result<ModelCatalog, CatalogError> {
        let io = |e: std::io::Error| CatalogError {
            file: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|x| x == "toml")
                && path.file_name().is_some_and(|n| n != "indicators.toml")
            {
                let text = std::fs::read_to_string(&path).map_err(io)?;
                files.push((path.display().to_string(), text));
            }
        }
        files.sort();
        Self::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Every model, sorted by name.
    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    /// The model used when a request names none.
    pub fn default_model(&self) -> &str {
        &self.default
    }

    /// A model by name.
    pub fn get(&self, name: &str) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.name() == name)
    }
}

/// Reads and validates one model file.
pub fn load_file(path: &Path) -> Result<ModelSpec, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|e| CatalogError {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    ModelSpec::from_toml(&path.display().to_string(), &text).map_err(|e| CatalogError {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_models_load_and_a_default_exists() {
        let c = ModelCatalog::bundled().unwrap();
        assert!(c.get(c.default_model()).is_some());
        assert!(c.get("rm-health-inequality-v0").is_some());
        assert_eq!(c.default_model(), lighed_core::model::DEFAULT_MODEL);
    }
}
