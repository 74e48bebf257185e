//! The committed `data/demo/` files must be exactly what the generator produces today.

mod common;

use std::collections::BTreeSet;

use common::{demo_dir, geography_dir, read};
use sha2::{Digest, Sha256};

#[test]
fn committed_demo_files_are_byte_identical_to_a_fresh_generation() {
    let files = lighed_demo::generate(&geography_dir(), lighed_demo::DEFAULT_SEED)
        .expect("generation succeeds on the committed geography");
    for (name, bytes) in &files {
        let committed = read(&demo_dir().join(name));
        assert!(
            committed == *bytes,
            "data/demo/{name} differs from a fresh generation ({} committed vs {} generated \
             bytes); regenerate with `cargo run -p lighed-demo -- --geography data/geography \
             --out data/demo` and commit",
            committed.len(),
            bytes.len()
        );
    }
    // No file missing, none extra.
    let generated: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(demo_dir())
        .expect("data/demo exists")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(on_disk, generated, "data/demo file list");
    let expected: BTreeSet<String> = lighed_demo::FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(generated, expected);
}

#[test]
fn readme_checksums_match_the_committed_files() {
    let readme = String::from_utf8(read(&demo_dir().join("README.md"))).expect("UTF-8 README");
    assert!(readme.starts_with("SYNTHETIC DEMO DATA — not real statistics"));
    assert!(readme.contains(&format!("seed **{}**", lighed_demo::DEFAULT_SEED)));
    let mut checked = 0;
    for name in lighed_demo::FILES.iter().filter(|n| **n != "README.md") {
        let digest = hex::encode(Sha256::digest(read(&demo_dir().join(name))));
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("README lists {name}"));
        assert!(line.contains(&digest), "README sha256 of {name}: {line}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn generation_is_deterministic_and_depends_on_the_seed() {
    let geo = lighed_demo::Geography::load(&geography_dir()).expect("geography loads");
    let a = lighed_demo::generate_from(&geo, 7).expect("seed 7");
    let b = lighed_demo::generate_from(&geo, 7).expect("seed 7 again");
    assert_ne!(lighed_demo::DEFAULT_SEED, 7);
    assert_eq!(a, b, "same geography + seed must give identical bytes");
    // A different seed changes the values: compare with the committed default-seed files.
    let c: Vec<(String, Vec<u8>)> = lighed_demo::FILES
        .iter()
        .map(|n| (n.to_string(), read(&demo_dir().join(n))))
        .collect();
    let get = |files: &[(String, Vec<u8>)], name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .expect("file present")
    };
    assert_ne!(get(&a, "indicators.csv"), get(&c, "indicators.csv"));
    // The geography part of the housing-area file (codes, names, parishes) does not depend
    // on the seed; only the coordinate offsets do.
    let strip = |bytes: Vec<u8>| -> Vec<String> {
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{},{},{}", f[0], f[1], f[2], f[3], f[6])
            })
            .collect()
    };
    assert_eq!(
        strip(get(&a, "housing_areas.csv")),
        strip(get(&c, "housing_areas.csv"))
    );
}
