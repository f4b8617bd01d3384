//! `chorus keygen`: the researchers' key pair, run as the built binary.

use std::path::Path;

use crate::helpers::chorus;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn keygen(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["keygen", "--out", "team.key"];
    args.extend_from_slice(extra);
    chorus(&args, dir)
}

#[test]
fn keygen_writes_a_private_key_file_that_only_its_passphrase_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pass.txt"), "correct horse battery\n").expect("write");
    let out = keygen(dir.path(), &["--passphrase-file", "pass.txt"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let stdout = String::from_utf8_lossy(&out.stdout);

    // The first line is the public key alone, and it is the file's.
    let first = stdout.lines().next().expect("a first line");
    let public = seal::PublicKey::parse(first).expect("the first line is a public key");
    let file = dir.path().join("team.key");
    let key_text = std::fs::read_to_string(&file).expect("read the key file");
    assert_eq!(
        seal::keyfile::public_key(&key_text).expect("a key file"),
        public
    );
    assert!(
        stdout.contains(&format!("fingerprint: {}", public.id().fingerprint())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("public_keys = [\"{first}\"]")),
        "{stdout}"
    );
    assert!(stdout.contains("team.key"), "names the file:\n{stdout}");
    assert!(stdout.contains("can never be"), "warns of loss:\n{stdout}");
    assert!(
        stdout.contains("collector"),
        "warns of the collector:\n{stdout}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }

    // The passphrase (without its newline) opens it; another does not.
    let key = seal::keyfile::unlock(&key_text, b"correct horse battery").expect("unlock");
    assert_eq!(*key.public(), public);
    assert!(matches!(
        seal::keyfile::unlock(&key_text, b"correct horse battery\n"),
        Err(seal::keyfile::KeyFileError::WrongPassphrase)
    ));
    assert!(matches!(
        seal::keyfile::unlock(&key_text, b"Correct horse battery"),
        Err(seal::keyfile::KeyFileError::WrongPassphrase)
    ));
}

#[test]
fn keygen_never_overwrites_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pass.txt"), "first passphrase\n").expect("write");
    let out = keygen(dir.path(), &["--passphrase-file", "pass.txt"]);
    assert!(out.status.success(), "{}", text(&out));
    let file = dir.path().join("team.key");
    let before = std::fs::read_to_string(&file).expect("read");

    let again = keygen(dir.path(), &["--passphrase-file", "pass.txt"]);
    let t = text(&again);
    assert_eq!(again.status.code(), Some(1), "{t}");
    assert!(
        t.contains("error: ") && t.contains("already exists") && t.contains("--force"),
        "{t}"
    );
    assert!(again.stdout.is_empty(), "prints no key: {t}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), before);

    // --force replaces it with a new key, still readable by its owner only,
    // and says so.
    let forced = keygen(dir.path(), &["--passphrase-file", "pass.txt", "--force"]);
    let t = text(&forced);
    assert!(forced.status.success(), "{t}");
    assert!(t.contains("replaced"), "{t}");
    let after = std::fs::read_to_string(&file).expect("read");
    let old = seal::keyfile::public_key(&before).expect("old key");
    let new = seal::keyfile::public_key(&after).expect("new key");
    assert_ne!(old, new);
    let first = String::from_utf8_lossy(&forced.stdout)
        .lines()
        .next()
        .map(str::to_owned);
    assert_eq!(first, Some(new.to_string()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn keygen_refuses_an_empty_passphrase_and_asks_no_one_without_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in [("empty.txt", ""), ("blank.txt", "\nsecond line\n")] {
        std::fs::write(dir.path().join(name), content).expect("write");
        let out = keygen(dir.path(), &["--passphrase-file", name]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {t}");
        assert!(t.contains("error: ") && t.contains("empty"), "{name}: {t}");
    }
    let missing = keygen(dir.path(), &["--passphrase-file", "missing.txt"]);
    let t = text(&missing);
    assert_eq!(missing.status.code(), Some(1), "{t}");
    assert!(t.contains("missing.txt"), "{t}");

    // The test's standard input is not a terminal: it fails at once and
    // names the flag a script should pass.
    let out = keygen(dir.path(), &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("--passphrase-file"), "{t}");

    assert!(!dir.path().join("team.key").exists(), "nothing was written");
}

#[test]
fn keygen_has_help() {
    let out = chorus(&["--help"], Path::new("."));
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("keygen"));
    let out = chorus(&["keygen", "--help"], Path::new("."));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    for flag in ["--out", "--passphrase-file", "--force"] {
        assert!(help.contains(flag), "{flag} in\n{help}");
    }
}
