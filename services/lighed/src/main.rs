//! The `lighed` binary: parses flags, sets up logging, binds, calls the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use lighed::cli::{Cli, Command};
use lighed::error::AppError;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("LIGHED_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Serve(a) => serve(&cli, a.listen).await,
            _ => {
                let mut buf = Vec::new();
                lighed::cli::run_offline(&cli, &mut buf).await?;
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(&buf)?;
                stdout.flush()?;
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints a one-line error and picks the exit code: 2 for the caller's mistakes, 1 otherwise.
fn fail(e: &anyhow::Error) -> ExitCode {
    let msg = e.to_string().replace('\n', " ");
    eprintln!("error: {msg}");
    // A rejected file: every error (capped by the reader) on its own line, file:line:column first.
    if let Some(AppError::InvalidArgument { violations, .. }) = e.downcast_ref::<AppError>()
        && violations.len() > 1
    {
        for v in violations {
            eprintln!("  {}", v.description.replace('\n', " "));
        }
    }
    let code = e
        .downcast_ref::<AppError>()
        .map(AppError::exit_code)
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

async fn serve(cli: &Cli, listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let settings = cli.settings(Some(listen));
    let state = lighed::state::open(&settings, cli.models_dir.as_deref()).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "lighed listening on {addr} (gRPC; database {})",
        lighed_store::redact(&settings.database_url())
    );
    println!(
        "try: grpcurl -plaintext -d '{{\"level\":\"municipality\",\"top_n\":5}}' {addr} lighed.v1.ScoringService/RankAreas"
    );
    std::io::stdout().flush()?;
    lighed::server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
