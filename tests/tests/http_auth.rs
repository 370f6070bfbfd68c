//! Credentials for images on a web server (real nginx: Basic auth on `/private/`, a bearer
//! token on `/bearer/`): refused without them (status 401 named), accepted from the URL's
//! `user:password@`, from a netrc file and from `--http-token-file`; never echoed in output or
//! in the most verbose log, and neither is a URL's query string.
//!
//! Run: `cargo build -p mount-helper && cargo test -p tests --test http_auth`.

use std::process::Command;
use std::time::Duration;

use tests::http::nginx::{PASSWORD, TOKEN, USER};
use tests::http::{publish, Nginx};
use tests::{run, wim_fixtures, wimfs_bin, RunOutput, TempDir};

fn wimfs(args: &[&str]) -> RunOutput {
    run(
        Command::new(wimfs_bin()).arg("-vv").args(args),
        Duration::from_secs(120),
    )
}

fn assert_no_secrets(out: &RunOutput) {
    for secret in [PASSWORD, TOKEN, "sig=QUERY-SECRET"] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{secret} was echoed:\n{out}"
        );
    }
}

#[test]
fn credentials_come_from_the_url_a_netrc_or_a_token_file_and_are_never_echoed() {
    let dir = TempDir::new("http-auth");
    let root = dir.path().join("www");
    for sub in ["private", "bearer"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        publish(&root.join(sub), "x.wim", &wim_fixtures()[0].path);
    }
    let nginx = Nginx::start(&dir.path().join("nginx"), &root);
    let private = nginx.url("private/x.wim");

    let refused = wimfs(&["info", &format!("{private}?sig=QUERY-SECRET")]);
    assert!(
        !refused.success() && refused.stderr.contains("401"),
        "{refused}"
    );
    assert_no_secrets(&refused);

    let in_url = private.replacen("http://", &format!("http://{USER}:{PASSWORD}@"), 1);
    let ok = wimfs(&["info", &format!("{in_url}?sig=QUERY-SECRET")]);
    ok.expect_success("credentials in the URL");
    assert!(ok.stdout.contains("Pinned:"), "{ok}");
    assert_no_secrets(&ok);

    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login {USER} password {PASSWORD}\n"),
    )
    .expect("netrc");
    let ok = wimfs(&[
        "info",
        &private,
        "--netrc-file",
        netrc.to_str().expect("utf-8"),
    ]);
    ok.expect_success("credentials from the netrc file");
    assert_no_secrets(&ok);

    let bearer = nginx.url("bearer/x.wim");
    let refused = wimfs(&["info", &bearer]);
    assert!(
        !refused.success() && refused.stderr.contains("401"),
        "{refused}"
    );
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("token");
    let ok = wimfs(&[
        "info",
        &bearer,
        "--http-token-file",
        token.to_str().expect("utf-8"),
    ]);
    ok.expect_success("a bearer token");
    assert_no_secrets(&ok);
}
