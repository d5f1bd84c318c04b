//! Records the git revision the suite is built from (`TM_CONFORMANCE_GIT_REVISION` at compile
//! time, for a certification bundle's manifest): `git rev-parse HEAD` when the source is a git
//! checkout, else the build environment's `TM_CONFORMANCE_GIT_REVISION`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-env-changed=TM_CONFORMANCE_GIT_REVISION");
    let revision = git(dir, &["rev-parse", "HEAD"]);
    if revision.is_some() {
        // HEAD (which branch), the branch's ref, and packed refs: a commit or a checkout
        // changes one of them.
        let abs = |p: String| if Path::new(&p).is_absolute() { p } else { dir.join(p).display().to_string() };
        if let Some(git_dir) = git(dir, &["rev-parse", "--git-dir"]).map(abs) {
            println!("cargo:rerun-if-changed={git_dir}/HEAD");
        }
        if let Some(common) = git(dir, &["rev-parse", "--git-common-dir"]).map(abs) {
            println!("cargo:rerun-if-changed={common}/packed-refs");
            if let Some(name) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
                println!("cargo:rerun-if-changed={common}/{name}");
            }
        }
    }
    let revision = revision
        .or_else(|| std::env::var("TM_CONFORMANCE_GIT_REVISION").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=TM_CONFORMANCE_GIT_REVISION={revision}");
}
