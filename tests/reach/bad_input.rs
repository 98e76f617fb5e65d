//! Every bad input of the reach options names itself: one message on stderr,
//! exit 2, before any request (the target is a port where nothing listens).

use crate::pki;
use std::path::Path;
use std::process::Command;

fn chatload(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(args)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .expect("run chatload");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `chatload ARGS` must exit 2 with one message containing every part of `want`.
fn expect_2(args: &[&str], want: &[&str]) -> String {
    let (code, err) = chatload(args);
    assert_eq!(code, Some(2), "{args:?}: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: want '{w}' in: {err}");
    }
    assert_eq!(err.trim().lines().count(), 1, "one message: {err}");
    err
}

/// `run` with `extra` flags must exit 2 naming the problem.
fn refused(extra: &[&str], want: &[&str]) -> String {
    let mut args = vec!["run", "--target", "https://127.0.0.1:1", "--quiet"];
    args.extend_from_slice(extra);
    expect_2(&args, want)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn tls_files_name_themselves() {
    let pki = pki::make();
    let dir = pki.dir.path();
    let missing = dir.join("missing.pem");
    let no_cert = dir.join("nocert.pem");
    std::fs::write(&no_cert, "not a certificate\n").unwrap();
    refused(
        &["--cacert", p(&missing)],
        &["--cacert", "cannot read CA file", "missing.pem"],
    );
    refused(
        &["--cacert", p(&no_cert)],
        &["--cacert", "holds no certificate"],
    );
    refused(
        &[
            "--client-cert",
            p(&no_cert),
            "--client-key",
            p(&pki.client_key),
        ],
        &["--client-cert", "holds no certificate"],
    );
    refused(
        &[
            "--client-cert",
            p(&pki.client_cert),
            "--client-key",
            p(&missing),
        ],
        &["cannot read client key", "missing.pem"],
    );
    refused(
        &[
            "--client-cert",
            p(&pki.client_cert),
            "--client-key",
            p(&no_cert),
        ],
        &["holds no private key"],
    );
    let err = refused(
        &[
            "--client-cert",
            p(&pki.client_cert),
            "--client-key",
            p(&pki.server_key),
        ],
        &["does not match the certificate"],
    );
    let key = std::fs::read_to_string(&pki.server_key).unwrap();
    assert!(
        !err.contains(key.lines().nth(1).unwrap()),
        "the key never shows"
    );
    refused(
        &["--client-cert", p(&pki.client_cert)],
        &["needs its key", "--client-key"],
    );
    refused(
        &["--client-key", p(&pki.client_key)],
        &["needs its certificate"],
    );
}

#[test]
fn scenario_fields_name_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s.toml");
    let t = "target = \"https://127.0.0.1:1\"\n";
    let cases = [
        (
            format!("{t}proxy = \"proxy.corp:3128\"\n"),
            "s.toml:2:9: proxy: the URL has no scheme; write http://proxy.corp:3128",
        ),
        (
            format!("{t}[tls]\nca_file = \"nope.pem\"\n"),
            "s.toml:3:11: tls.ca_file: cannot read CA file",
        ),
        (
            "[tls]\nserver_name = \"bad name!\"\n".into(),
            "s.toml:2:15: tls.server_name",
        ),
        (
            "[customer.data]\norder = \"shuffled\"\nfile = \"c.csv\"\n".into(),
            "s.toml:2:9: customer.data.order: unknown order 'shuffled'",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&s, text).unwrap();
        expect_2(&["run", p(&s), "--quiet"], &[want]);
    }
}

#[test]
fn proxy_flags_need_a_scheme() {
    refused(
        &["--proxy", "proxy.corp:3128"],
        &["--proxy: the URL has no scheme", "http://proxy.corp:3128"],
    );
    refused(
        &["--proxy", "socks5://p:1080"],
        &["only http:// and https:// proxies"],
    );
    let err = refused(&["--proxy", "http://user:s3cret@:1"], &["--proxy"]);
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn customers_files_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("a.csv", b"email\nx\n", "a.csv:1:1: no 'nickname' column"),
        (
            "b.csv",
            b"nickname,phone\nAnn,1\n",
            "b.csv:1:10: unknown column 'phone'",
        ),
        (
            "c.csv",
            b"nickname,email\nAnn,a\xff\n",
            "c.csv:2:6: not valid UTF-8",
        ),
        (
            "d.jsonl",
            b"{\"nickname\":\"a\",\"x\":\"1\"}\n",
            "d.jsonl:1:17: unknown key 'x'",
        ),
        ("e.csv", b"nickname\nAnn\n", ""),
    ];
    for (name, text, want) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        if want.is_empty() {
            continue;
        }
        refused(&["--customers", p(&f)], &[want]);
    }
    let long = dir.path().join("long.csv");
    std::fs::write(
        &long,
        format!("nickname,subject\nAnn,{}\n", "é".repeat(5000)),
    )
    .unwrap();
    refused(
        &["--customers", p(&long)],
        &["long.csv:2:5: subject: 5000 characters, more than the 4096"],
    );
    refused(
        &["--customers", p(&dir.path().join("none.csv"))],
        &["cannot read customers file"],
    );
}

#[test]
fn messages_files_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 2] = [
        ("a.txt", b"Hello\nab\xffcd\n", "a.txt:2:3: not UTF-8"),
        ("b.txt", b"\n\n", "b.txt:1:1: no message"),
    ];
    for (name, text, want) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        refused(&["--messages-file", p(&f)], &[want]);
    }
    let long = dir.path().join("long.txt");
    std::fs::write(&long, format!("hi\n{}\n", "é".repeat(5000))).unwrap();
    refused(
        &["--messages-file", p(&long)],
        &["long.txt:2:4097: message: 5000 characters, more than the 4096"],
    );
    refused(
        &["--messages-file", p(&dir.path().join("none.txt"))],
        &["cannot read messages file"],
    );
}

#[test]
fn insecure_with_a_ca_file_warns() {
    let pki = pki::make();
    let args = chatload::cli::RunArgs {
        target: chatload::cli::TargetArgs {
            url: Some("https://127.0.0.1:1".into()),
            insecure: true,
            cacert: Some(pki.ca.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let cfg = chatload::build_config(&args, None).unwrap();
    assert!(
        cfg.warnings
            .iter()
            .any(|w| w.contains("--cacert is given with --insecure")),
        "{:?}",
        cfg.warnings
    );
    assert!(cfg.warnings.iter().any(|w| w.contains("NOT verified")));
}

#[test]
fn serve_tls_flags_name_themselves() {
    let pki = pki::make();
    let (cert, key, client_key) = (p(&pki.server_cert), p(&pki.server_key), p(&pki.client_key));
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--tls-cert", cert],
            &["--tls-cert and --tls-key go together"],
        ),
        (
            &["--tls-cert", client_key, "--tls-key", key],
            &["--tls-cert:", "holds no certificate"],
        ),
        (
            &["--tls-cert", cert, "--tls-key", client_key],
            &["does not match the certificate"],
        ),
        (
            &["--tls-client-ca", p(&pki.client_ca)],
            &["needs --tls-cert"],
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        expect_2(&args, want);
    }
}
