//! MCP servers: their states (the status list), trusting a project's server, restarting
//! one, and what they offer besides tools (resources to @-mention, prompts as slash
//! commands). The agent's use of their tools goes through weft-agent's `ExtraTools`.

use super::*;
use weft_mcp::ServerStatus;

/// The hub, with the user's servers as the settings say now.
fn hub(api: &Api) -> Result<Arc<weft_mcp::Hub>> {
    let open = api.open()?;
    let s = api.settings().0;
    open.mcp.set_user_servers(s.mcp_servers());
    open.mcp.set_tool_timeout(std::time::Duration::from_secs(u64::from(s.mcp_tool_timeout_secs)));
    Ok(open.mcp.clone())
}

fn mcp_err(e: String) -> ApiError {
    ApiError::new(crate::ErrorCode::Mcp, e)
}

pub(crate) fn status(api: &Api, _stream: Option<Stream>) -> Result<Vec<ServerStatus>> {
    Ok(hub(api)?.status())
}

/// Starts every trusted server not running yet; the states after.
pub(crate) async fn start(api: &Api, _stream: Option<Stream>) -> Result<Vec<ServerStatus>> {
    let hub = hub(api)?;
    hub.ensure_started().await;
    Ok(hub.status())
}

pub(crate) async fn trust(api: &Api, name: String, _stream: Option<Stream>) -> Result<ServerStatus> {
    hub(api)?.trust(&name).await.map_err(mcp_err)
}

pub(crate) async fn restart(api: &Api, name: String, _stream: Option<Stream>) -> Result<ServerStatus> {
    hub(api)?.restart(&name).await.map_err(mcp_err)
}

pub(crate) async fn sign_in(api: &Api, name: String, _stream: Option<Stream>) -> Result<String> {
    hub(api)?.sign_in(&name).await.map_err(mcp_err)
}

pub(crate) async fn sign_out(api: &Api, name: String, _stream: Option<Stream>) -> Result<ServerStatus> {
    hub(api)?.sign_out(&name).await.map_err(mcp_err)
}

pub(crate) async fn resources(api: &Api, _stream: Option<Stream>) -> Result<Vec<crate::McpResourceDto>> {
    Ok(hub(api)?.resources().await.into_iter().map(|(server, resource)| crate::McpResourceDto { server, resource }).collect())
}

pub(crate) async fn prompts(api: &Api, _stream: Option<Stream>) -> Result<Vec<crate::McpPromptDto>> {
    Ok(hub(api)?.prompts().await.into_iter().map(|(server, prompt)| crate::McpPromptDto { server, prompt }).collect())
}

pub(crate) async fn read_resource(api: &Api, server: String, uri: String, _stream: Option<Stream>) -> Result<String> {
    hub(api)?.read_resource(&server, &uri).await.map_err(mcp_err)
}
