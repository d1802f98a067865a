use super::*;

pub(crate) fn providers(api: &Api, _stream: Option<Stream>) -> Result<Vec<crate::ProviderStatus>> {
    Ok(crate::agent::providers(&api.inner.paths, &api.settings().0))
}

pub(crate) fn set_key(api: &Api, provider: String, key: Option<String>, _stream: Option<Stream>) -> Result<()> {
    if provider.trim().is_empty() {
        return Err(ApiError::bad_request("the provider name is empty"));
    }
    let key = key.filter(|k| !k.trim().is_empty()).map(weft_llm::ApiKey::new);
    crate::agent::key_store(&api.inner.paths).set(provider.trim(), key.as_ref()).map_err(|e| ApiError::new(crate::ErrorCode::LlmKeys, e.to_string()))?;
    Ok(())
}

pub(crate) async fn models(api: &Api, provider: String, _stream: Option<Stream>) -> Result<Vec<String>> {
    // The keys may come from the OS keychain: a blocking call.
    let a = api.clone();
    let client = blocking(move || crate::agent::llm_client(&a.inner.paths, &a.settings().0)).await?;
    let p = client.provider(&provider).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("no provider named {provider:?}")))?.clone();
    Ok(p.models().await?)
}

pub(crate) fn threads(api: &Api, _stream: Option<Stream>) -> Result<Vec<crate::ThreadSummary>> {
    Ok(api.open()?.agents.threads()?)
}

pub(crate) fn prompts(api: &Api, _stream: Option<Stream>) -> Result<Vec<weft_agent::prompts::SlashCommand>> {
    Ok(api.open()?.agents.prompts())
}

pub(crate) fn thread(api: &Api, thread: String, _stream: Option<Stream>) -> Result<crate::AgentThread> {
    Ok(api.open()?.agents.thread(&thread)?)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn send(api: &Api, thread: String, prompt: String, model: Option<String>, mentions: Vec<weft_agent::Mention>, options: Option<crate::TurnOptions>, images: Vec<weft_llm::ImageSource>, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("agentSend needs a stream"))?;
    let options = options.unwrap_or_default();
    options.check()?;
    // Checked here, so a bad picture is refused before the turn (and its checkpoint) starts.
    let images = images
        .iter()
        .enumerate()
        .map(|(k, i)| match i {
            weft_llm::ImageSource::Base64 { media_type, data } => weft_llm::ImageSource::from_base64(media_type, data).map_err(|e| ApiError::bad_request(format!("image {}: {e}", k + 1))),
        })
        .collect::<Result<Vec<_>>>()?;
    let text = match prompt.strip_prefix('/').filter(|p| p.starts_with("mcp__")) {
        Some(command) => mcp_prompt(api, command).await?,
        None => prompt,
    };
    let prompt = weft_agent::Prompt { text, mentions, images };
    api.open()?.agents.send(&thread, prompt, model.as_deref(), &options, &api.settings().0, stream)?;
    Ok(())
}

pub(crate) fn approve(api: &Api, request: String, answer: String, _stream: Option<Stream>) -> Result<()> {
    let answer = match answer.as_str() {
        "once" => weft_agent::Approval::Once,
        "always" => weft_agent::Approval::Always,
        "deny" => weft_agent::Approval::Deny,
        other => return Err(ApiError::bad_request(format!("answer must be \"once\", \"always\" or \"deny\", not {other:?}"))),
    };
    api.open()?.agents.approve(&request, answer)?;
    Ok(())
}

pub(crate) fn stop(api: &Api, thread: String, _stream: Option<Stream>) -> Result<bool> {
    Ok(api.open()?.agents.stop(&thread)?)
}

pub(crate) fn review(api: &Api, thread: String, _stream: Option<Stream>) -> Result<Vec<weft_agent::FileReview>> {
    Ok(api.open()?.agents.review(&thread)?)
}

pub(crate) fn review_action(api: &Api, thread: String, action: crate::ReviewAction, _stream: Option<Stream>) -> Result<Vec<weft_agent::FileReview>> {
    Ok(api.open()?.agents.review_action(&thread, &action)?)
}

pub(crate) fn restore(api: &Api, thread: String, turn: u32, code: bool, conversation: bool, _stream: Option<Stream>) -> Result<crate::AgentThread> {
    let open = api.open()?;
    if !code && !conversation {
        return Err(ApiError::bad_request("restore the code, the conversation, or both"));
    }
    if code {
        let id = open.agents.checkpoint_of(&thread, turn)?;
        let c = api.store()?;
        let report = c.store.restore(id, None)?;
        c.announce(&c.store.get(report.undo)?);
        info!(id, undo = report.undo, "agent turn's code restored");
    }
    if conversation {
        return Ok(open.agents.restore_conversation(&thread, turn)?);
    }
    Ok(open.agents.thread(&thread)?)
}

pub(crate) fn export(api: &Api, thread: String, _stream: Option<Stream>) -> Result<String> {
    Ok(api.open()?.agents.export(&thread)?)
}

pub(crate) fn delete(api: &Api, thread: String, _stream: Option<Stream>) -> Result<()> {
    api.open()?.agents.delete(&thread)?;
    Ok(())
}

pub(crate) async fn suggest_commit_message(api: &Api, _stream: Option<Stream>) -> Result<crate::CommitMessage> {
    let root = api.open()?.ws.root().to_path_buf();
    let a = api.clone();
    let settings = blocking(move || Ok(a.settings().0)).await?;
    crate::agent::suggest_commit_message(&api.inner.paths, &settings, &root).await
}

/// `/mcp__server__prompt args…`: the server's prompt with its arguments, as the text sent.
/// Arguments are `name=value` words, or given in order (the last one takes the rest);
/// "double quotes" keep words together.
async fn mcp_prompt(api: &Api, command: &str) -> Result<String> {
    let (token, rest) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
    let hub = api.open()?.mcp.clone();
    let prompts = hub.prompts().await;
    let (server, prompt) = prompts
        .iter()
        .find(|(server, p)| weft_mcp::tool_name(server, &p.name) == token)
        .ok_or_else(|| ApiError::new(crate::ErrorCode::Mcp, format!("/{token} is not a prompt of a running MCP server")))?;
    let mut args = serde_json::Map::new();
    let mut positional = vec![];
    for word in words(rest) {
        let named = word.split_once('=').filter(|(k, _)| prompt.arguments.iter().any(|a| a == k)).map(|(k, v)| (k.to_owned(), v.to_owned()));
        match named {
            Some((k, v)) => {
                args.insert(k, serde_json::Value::String(v));
            }
            None => positional.push(word),
        }
    }
    let free: Vec<&String> = prompt.arguments.iter().filter(|a| !args.contains_key(a.as_str())).collect();
    for (i, name) in free.iter().enumerate() {
        if positional.is_empty() {
            break;
        }
        let take = if i + 1 == free.len() { positional.len() } else { 1 };
        let value: Vec<String> = positional.drain(..take).collect();
        args.insert((*name).clone(), serde_json::Value::String(value.join(" ")));
    }
    hub.get_prompt(server, &prompt.name, &args).await.map_err(|e| ApiError::new(crate::ErrorCode::Mcp, e))
}

/// Words, with "quoted" ones kept together (quotes removed).
fn words(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (vec![], String::new(), false, false);
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}
