use axum::{extract::Path, routing::get, Router};

async fn hello(Path(name): Path<String>) -> String {
    format!("Hello, {name}!")
}

fn app() -> Router {
    Router::new().route("/", get(|| async { "Hello from {{name}}" })).route("/hello/{name}", get(hello))
}

#[tokio::main]
async fn main() {
    let port = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the port is free");
    println!("Listening on http://localhost:{port}/");
    axum::serve(listener, app()).await.expect("serving");
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn greets_by_name() {
        assert_eq!(super::hello(axum::extract::Path("Weft".into())).await, "Hello, Weft!");
        let _ = super::app();
    }
}
