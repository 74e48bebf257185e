//! Compiles `proto/lighed/v1/*.proto` with protox (pure Rust, no system `protoc`) and writes the
//! encoded descriptor set for gRPC server reflection.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let protos: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("lighed/v1"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    let mut protos = protos;
    protos.sort();
    let fds = protox::compile(&protos, [&root])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("lighed_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    println!(
        "cargo:rerun-if-changed={}",
        root.join("lighed/v1").display()
    );
    embed_models(&out)?;
    for p in &protos {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    Ok(())
}

/// Writes `models_bundle.rs`: every `models/*.toml` (index models) embedded with `include_str!`,
/// except the indicator registry `models/indicators.toml` (embedded by `lighed-ingest`).
fn embed_models(out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let dir = dir.canonicalize()?;
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut code = String::from(
        "/// Index model files shipped in the binary: (file name, text).\npub const MODEL_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("non-UTF-8 model file name")?;
        if name == "indicators.toml" {
            continue; // the indicator registry, embedded by lighed-ingest
        }
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("models_bundle.rs"), code)?;
    Ok(())
}
