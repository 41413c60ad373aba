//! `gitops-lsp render --cluster NAME FILE`: the real binary on fixtures/home-ops and on small
//! temporary repositories.

use crate::common;
use common::*;

const POOLS: &str = "kubernetes/infrastructure/networking/cilium/ipam";
const CILIUM: &str = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";

fn render(root: &std::path::Path, cluster: &str, file: &str, extra: &[&str]) -> Run {
    let file = root.join(file);
    let mut args = vec!["render", "--root", root.to_str().unwrap(), "--cluster", cluster, file.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, None)
}

#[test]
fn each_cluster_gets_its_own_ip_pool() {
    let home = fixture("home-ops");
    let infra = render(&home, "infra", &format!("{POOLS}/infra/pool.yaml"), &[]);
    assert_eq!(infra.code, 0, "{}", infra.stderr);
    assert!(infra.stdout.contains("    - start: 10.25.11.100\n      stop: 10.25.11.119\n"), "{}", infra.stdout);
    assert!(infra.stdout.contains("    cluster: infra\n"), "{}", infra.stdout);
    assert!(!infra.stdout.contains("${"), "{}", infra.stdout);
    // The source's comments stay.
    assert!(infra.stdout.contains("# Story 02: infra pool 10.25.11.100-119."), "{}", infra.stdout);
    let apps = render(&home, "apps", &format!("{POOLS}/apps/pool.yaml"), &[]);
    assert_eq!(apps.code, 0, "{}", apps.stderr);
    assert!(apps.stdout.contains("    - start: 10.25.11.120\n      stop: 10.25.11.139\n"), "{}", apps.stdout);
    // Each pool folder is applied by one cluster only.
    let wrong = render(&home, "apps", &format!("{POOLS}/infra/pool.yaml"), &[]);
    assert_eq!(wrong.code, 2);
    assert_eq!(wrong.stdout, "");
    assert!(wrong.stderr.contains("cluster `apps` does not apply kubernetes/infrastructure/networking/cilium/ipam/infra/pool.yaml; it is applied by infra"), "{}", wrong.stderr);
}

#[test]
fn the_cilium_release_differs_per_cluster() {
    let home = fixture("home-ops");
    let infra = render(&home, "infra", CILIUM, &[]);
    let apps = render(&home, "apps", CILIUM, &[]);
    assert_eq!((infra.code, apps.code), (0, 0), "{}{}", infra.stderr, apps.stderr);
    for (out, name, id, ip, cidr) in [
        (&infra.stdout, "infra", "1", "10.25.11.100", "10.244.0.0/16"),
        (&apps.stdout, "apps", "2", "10.25.11.120", "10.246.0.0/16"),
    ] {
        assert!(out.contains(&format!("      name: {name}\n      id: {id}\n")), "{out}");
        assert!(out.contains(&format!("lbipam.cilium.io/ips: \"{ip}\"")), "{out}");
        assert!(out.contains(&format!("          - {cidr}\n")), "{out}");
        assert!(out.contains(&format!("- \"clustermesh-{name}.monosense.io\"")), "{out}");
        assert!(out.contains("applied by Flux Kustomization flux-system/cilium-core: variables from ConfigMap flux-system/cluster-settings"), "{out}");
        assert!(!out.contains("${"), "{out}");
    }
}

#[test]
fn a_value_from_an_external_secret_is_left_as_written_and_explained() {
    let home = fixture("home-ops");
    let r = render(&home, "infra", "kubernetes/infrastructure/networking/cloudflared/app/dnsendpoint.yaml", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("- ${SECRET_CLOUDFLARE_TUNNEL_ID}.cfargotunnel.com"), "{}", r.stdout);
    assert!(r.stdout.contains("- dnsName: external.monosense.io"), "{}", r.stdout);
    assert!(
        r.stdout.contains("# note: source line 13: `${SECRET_CLOUDFLARE_TUNNEL_ID}` is left as written: `SECRET_CLOUDFLARE_TUNNEL_ID` comes from Secret flux-system/cluster-secrets, whose value is not in the repository"),
        "{}",
        r.stdout
    );
}

/// A one-cluster repo whose settings include a plain Secret.
fn secret_repo() -> tempfile::TempDir {
    mini_repo(&[
        (".git/HEAD", b"ref: refs/heads/main\n"),
        (
            "kubernetes/clusters/dev/cluster-secrets.yaml",
            b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  APP_PASSWORD: \"s3cr3t-value\"\n",
        ),
        (
            "kubernetes/clusters/dev/apps.yaml",
            b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n      - kind: Secret\n        name: cluster-secrets\n",
        ),
        (
            "kubernetes/apps/app/configmap.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${APP_NAME}\"\n  url: postgres://app:${APP_PASSWORD}@db\n",
        ),
    ])
}

#[test]
fn secret_values_are_masked_unless_asked_for() {
    let repo = secret_repo();
    assert_eq!(run(&["check", repo.path().to_str().unwrap()], None).code, 0, "the temporary repository is clean");
    let file = repo.path().join("kubernetes/apps/app/configmap.yaml");
    // No --root: the root is found by walking up to the folder holding .git.
    let masked = run(&["render", "--cluster", "dev", file.to_str().unwrap()], None);
    assert_eq!(masked.code, 0, "{}", masked.stderr);
    assert!(masked.stdout.contains("  name: \"hello\"\n"), "{}", masked.stdout);
    assert!(masked.stdout.contains("  url: 'postgres://app:**secret**@db'\n"), "{}", masked.stdout);
    assert!(!masked.stdout.contains("s3cr3t"), "{}", masked.stdout);
    // Rendering the Secret itself masks its values too.
    let secret_file = repo.path().join("kubernetes/clusters/dev/cluster-secrets.yaml");
    let own = run(&["render", "--cluster", "dev", secret_file.to_str().unwrap()], None);
    assert_eq!(own.code, 0, "{}", own.stderr);
    assert!(own.stdout.contains("  APP_PASSWORD: '**secret**'\n") && !own.stdout.contains("s3cr3t"), "{}", own.stdout);

    let shown = run(&["render", "--cluster", "dev", file.to_str().unwrap(), "--show-secrets"], None);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("  url: postgres://app:s3cr3t-value@db\n"), "{}", shown.stdout);
    assert!(shown.stdout.contains("# WARNING: this output shows Secret values"), "{}", shown.stdout);
}

#[test]
fn errors_exit_2_with_a_message() {
    let repo = secret_repo();
    let file = repo.path().join("kubernetes/apps/app/configmap.yaml");
    let f = file.to_str().unwrap();
    let kust = repo.path().join("kubernetes/apps/app/kustomization.yaml");
    let sub = repo.path().join("kubernetes/clusters");
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["render", "--cluster", "prod", f], "error: no cluster named `prod`; clusters found: dev"),
        (vec!["render", "--cluster", "dev", "/nonexistent/file.yaml"], "error: cannot read /nonexistent/file.yaml"),
        (vec!["render", "--cluster", "dev", kust.to_str().unwrap()], "is a kustomization file"),
        (vec!["render", "--cluster", "dev", f, "--root", sub.to_str().unwrap()], "is not inside the workspace root"),
    ];
    for (args, want) in cases {
        let r = run(&args, None);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
    }
    // Without .git or .gitops-lsp.toml above the file and without --root.
    let bare = temp_repo(&[("app/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")]);
    let r = run(&["render", "--cluster", "dev", bare.path().join("app/cm.yaml").to_str().unwrap()], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pass --root DIR"), "{}", r.stderr);
}
