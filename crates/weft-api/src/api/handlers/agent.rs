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

pub(crate) fn send(api: &Api, thread: String, prompt: String, model: Option<String>, mentions: Vec<weft_agent::Mention>, options: Option<crate::TurnOptions>, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("agentSend needs a stream"))?;
    let options = options.unwrap_or_default();
    options.check()?;
    let prompt = weft_agent::Prompt { text: prompt, mentions };
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
