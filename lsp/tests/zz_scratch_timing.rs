use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::RelPath;
use gitops_lsp::ide::{complete, locate, nav};
use gitops_lsp::snapshot::Snapshot;
use std::sync::Arc;
use std::time::Instant;

#[test]
fn timing() {
    let root = std::env::var("REPO").unwrap_or("/tmp/gen10k".into());
    let loaded = gitops_lsp::workspace::load(std::path::Path::new(&root)).unwrap();
    let snap = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let t = Instant::now();
    let a = Analysis::new(snap);
    eprintln!("analysis {:?}", t.elapsed());
    let t = Instant::now();
    let _ = locate::Index::new(&a);
    eprintln!("index {:?}", t.elapsed());
    let _ = locate::Index::of(&a);
    let file = RelPath::new("kubernetes/apps/ai/glance/app/helmrelease.yaml").unwrap();
    let text = a.snapshot.file(a.snapshot.file_idx(&file).unwrap()).text.clone();
    let off = text.find("${GLANCE_REPLICAS").unwrap() + 3;
    let t = Instant::now();
    let h = nav::hover(&a, &file, off);
    eprintln!("hover {:?} {}", t.elapsed(), h.map(|h| h.markdown).unwrap_or_default());
    let t = Instant::now();
    let d = nav::definition(&a, &file, off);
    eprintln!("definition {:?} {}", t.elapsed(), d.len());
    let t = Instant::now();
    let r = nav::references(&a, &file, off, true);
    eprintln!("references var {:?} {}", t.elapsed(), r.len());
    let off2 = text.find("name: glance\n  interval").unwrap_or(0) + 7;
    let t = Instant::now();
    let r = nav::references(&a, &file, off2, true);
    eprintln!("references obj {:?} {}", t.elapsed(), r.len());
    let t = Instant::now();
    let r = nav::rename(&a, &file, off, "GLANCE_REPLICAS2");
    eprintln!("rename {:?} {:?}", t.elapsed(), r.map(|e| e.len()));
    let t = Instant::now();
    let c = complete::completion(&a, &file, off);
    eprintln!("completion var {:?} {}", t.elapsed(), c.len());
    let ks = RelPath::new("kubernetes/apps/ai/glance/ks.yaml").unwrap();
    let kt = a.snapshot.file(a.snapshot.file_idx(&ks).unwrap()).text.clone();
    eprintln!("{}", &kt[..kt.len().min(1500)]);
    let offp = kt.find("path: ").unwrap() + 8;
    let t = Instant::now();
    let c = complete::completion(&a, &ks, offp);
    eprintln!("completion path {:?} {}", t.elapsed(), c.len());
    let t = Instant::now();
    let h = nav::hover(&a, &ks, offp);
    eprintln!("hover path {:?} {:?}", t.elapsed(), h.map(|h| h.markdown));
    if let Some(i) = kt.find("dependsOn:") {
        let offd = i + kt[i..].find("name: ").unwrap() + 8;
        let t = Instant::now();
        let c = complete::completion(&a, &ks, offd);
        eprintln!("completion dependsOn {:?} {}", t.elapsed(), c.len());
        let t = Instant::now();
        let h = nav::hover(&a, &ks, offd);
        eprintln!("hover dependsOn {:?} {:?}", t.elapsed(), h.map(|h| h.markdown));
    }
}
