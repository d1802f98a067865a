//! A picture of a real page, taken by the machine's Chromium, decoded and looked at.

use std::io::{Read, Write};
use std::net::TcpListener;
use weft_run::screenshot::{screenshot, Options, ShotError};

/// A page that draws a red box, turns it blue after 300 ms (only a page given time to
/// settle shows blue) and logs to its console.
const PAGE: &str = r#"<!doctype html><html><body style="margin:0;background:#fff">
<div id="box" style="width:200px;height:100px;background:rgb(255,0,0)"></div>
<script>console.log("hello from the page", 42); console.error("boom: the API answered 500");
setTimeout(() => { document.getElementById("box").style.background = "rgb(0,0,255)"; console.warn("settled"); }, 300);</script>
</body></html>"#;

/// Serves PAGE for every request on a port of its own.
fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf);
            let _ = write!(sock, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}", PAGE.len());
        }
    });
    port
}

fn pixel(png: &[u8], x: u32, y: u32) -> (u32, u32, [u8; 3]) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let at = ((y * info.width + x) as usize) * channels;
    (info.width, info.height, [buf[at], buf[at + 1], buf[at + 2]])
}

#[tokio::test]
async fn the_picture_shows_the_settled_page_and_its_console() {
    let port = serve();
    let opts = Options { width: 640, height: 400, ..Options::default() };
    let shot = match screenshot(&format!("http://127.0.0.1:{port}/"), &opts).await {
        Err(ShotError::NoBrowser(looked)) if std::env::var_os("WEFT_REQUIRE_BROWSER").is_none() => {
            eprintln!("SKIPPED: no Chromium-family browser here (looked for {looked}); scripts/setup.sh installs one");
            return;
        }
        r => r.expect("a picture"),
    };
    let (w, h, inside) = pixel(&shot.png, 50, 50);
    assert_eq!((w, h), (640, 400), "the viewport asked for");
    assert_eq!(inside, [0, 0, 255], "the box after the page's timer ran");
    assert_eq!(pixel(&shot.png, 400, 300).2, [255, 255, 255], "the page's background");
    assert!(shot.dom.contains(r#"<div id="box" style="width: 200px; height: 100px; background: rgb(0, 0, 255);">"#), "the DOM as drawn: {}", shot.dom);
    let url = format!("http://127.0.0.1:{port}/");
    assert_eq!(
        shot.console,
        [format!("hello from the page 42 ({url}:3)"), format!("boom: the API answered 500 ({url}:3)"), format!("settled ({url}:4)")]
    );
}

#[tokio::test]
async fn a_port_nobody_listens_on_is_said_so_before_any_browser_starts() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let err = screenshot(&format!("http://127.0.0.1:{port}/"), &Options::default()).await.expect_err("nothing there");
    assert_eq!(err.to_string(), format!("nothing is listening at 127.0.0.1:{port}; is the app running?"));
}
