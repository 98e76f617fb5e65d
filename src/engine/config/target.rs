//! The shared target flags ([`TargetArgs`]) and the scenario's target fields ->
//! validated target parts: dialect, URL, service, tenant, webapi prefix. `run`
//! builds them with its scenario file; `conformance` has no file and takes the
//! whole reach (parts, headers, TLS, proxy) from [`target_from_flags`], so both
//! commands accept and check the same flags the same way.

use super::{check_url, flag_or, headers, reach, CustomHeaders, Src};
use crate::cli::TargetArgs;
use crate::engine::client::transport::Transport;
use crate::engine::scenario::Scenario;
use crate::error::UsageError;
use crate::protocol::Dialect;

/// Where the Chat Server is, validated.
#[derive(Debug, Clone)]
pub(crate) struct TargetParts {
    /// Dialect.
    pub dialect: Dialect,
    /// Base URL without a trailing '/' (None = embedded reference server).
    pub url: Option<String>,
    /// gms-v2 service.
    pub service: String,
    /// webapi tenant.
    pub tenant: String,
    /// webapi base path prefix ("" or "/x").
    pub webapi_prefix: String,
}

/// Everything [`TargetArgs`] says, validated, for a command without a scenario file.
#[derive(Debug)]
pub(crate) struct FlagTarget {
    /// Where.
    pub parts: TargetParts,
    /// Custom headers (values are secrets).
    pub headers: CustomHeaders,
    /// TLS, HTTP/2, proxy (cookies on).
    pub transport: Transport,
    /// Warnings to print at start (e.g. `--insecure`).
    pub warnings: Vec<String>,
}

/// Flags over the scenario's fields.
pub(super) fn build_target(
    args: &TargetArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<TargetParts, UsageError> {
    let dialect = match (&args.dialect, &sc.dialect) {
        (Some(d), _) => d
            .parse::<Dialect>()
            .map_err(|e| UsageError::new(format!("--dialect: {e}")))?,
        (None, Some(d)) => d
            .get_ref()
            .parse()
            .map_err(|e: String| src.err("dialect", d, &e))?,
        (None, None) => Dialect::GmsV2,
    };
    let url = match (&args.url, &sc.target) {
        (Some(t), _) => Some(check_url(t).map_err(|e| UsageError::new(format!("--target: {e}")))?),
        (None, Some(t)) => Some(check_url(t.get_ref()).map_err(|e| src.err("target", t, &e))?),
        (None, None) => None,
    };
    let webapi_prefix = flag_or(
        args.webapi_prefix.clone(),
        sc.webapi_prefix.as_ref(),
        String::new(),
    );
    if !(webapi_prefix.is_empty()
        || webapi_prefix.starts_with('/') && !webapi_prefix.ends_with('/'))
    {
        let field = match args.webapi_prefix {
            Some(_) => "--webapi-prefix",
            None => "webapi_prefix",
        };
        return Err(UsageError::new(format!(
            "{field}: '{webapi_prefix}' must be empty or start with '/' and not end with '/'; e.g. /webapi"
        )));
    }
    Ok(TargetParts {
        dialect,
        url,
        service: flag_or(
            args.service.clone(),
            sc.service.as_ref(),
            "customer-support".into(),
        ),
        tenant: flag_or(
            args.tenant.clone(),
            sc.tenant.as_ref(),
            "Environment".into(),
        ),
        webapi_prefix,
    })
}

/// The target flags alone (no scenario file), read the way `run` reads them.
pub(crate) fn target_from_flags(args: &TargetArgs) -> Result<FlagTarget, UsageError> {
    let sc = Scenario::default();
    let src = Src { file: None };
    let env = |var: &str| std::env::var(var).ok();
    let parts = build_target(args, &sc, &src)?;
    let headers = headers::build_headers(&args.headers, &sc, &src, &env)?;
    let mut warnings = Vec::new();
    let transport =
        reach::build_transport(args, &sc, &src, parts.url.as_deref(), &env, &mut warnings)?;
    Ok(FlagTarget {
        parts,
        headers,
        transport,
        warnings,
    })
}
