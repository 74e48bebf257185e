//! Model-file validation for the general (`[[steps]]`) format: errors name the key and the line.

use lighed_core::model::{ModelError, ModelSpec};

const BASE: &str = r#"[model]
name = "t"
version = "1"
title = "T"
description = "Test."
levels = ["parish"]
score = "total"

[[indicators]]
id = "a"
label = "A"
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
domain = "d"
min_denominator = 1

[[indicators]]
id = "b"
label = "B"
unit = "%"
kind = "proportion"
direction = "higher_is_better"
domain = "d"
min_denominator = 1

[[steps]]
name = "pa"
op = "percent_rank"
input = "a"

[[steps]]
name = "pb"
op = "percent_rank"
input = "b"

[[steps]]
name = "total"
op = "weighted_sum"
inputs = ["pa", "pb"]
weights = [2, 1]
"#;

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle}"))
        + 1
}

fn invalid(text: &str) -> (String, usize, String) {
    match ModelSpec::from_toml("m.toml", text).unwrap_err() {
        ModelError::Invalid {
            key, line, message, ..
        } => (key, line, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_base_model_is_valid() {
    let m = ModelSpec::from_toml("m.toml", BASE).unwrap();
    assert_eq!(m.score_node(), "total");
    assert_eq!(
        m.input_columns(),
        [
            "a_numerator",
            "a_denominator",
            "b_numerator",
            "b_denominator"
        ]
    );
    assert!(m.output_columns().is_empty());
}

#[test]
fn unknown_key_names_key_and_line() {
    let text = BASE.replace("weights = [2, 1]", "weights = [2, 1]\nwieghts = [1, 1]");
    match ModelSpec::from_toml("m.toml", &text).unwrap_err() {
        e @ ModelError::Parse { line, .. } => {
            assert_eq!(line, line_of(&text, "wieghts"));
            assert!(e.to_string().contains("wieghts"), "{e}");
            assert!(e.to_string().starts_with(&format!("m.toml:{line}:")), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn weight_that_is_not_a_number() {
    let text = BASE.replace("weights = [2, 1]", "weights = [2, \"one\"]");
    match ModelSpec::from_toml("m.toml", &text).unwrap_err() {
        ModelError::Parse { line, key, .. } => {
            assert_eq!(line, line_of(&text, "\"one\""));
            assert_eq!(key.as_deref(), Some("weights"));
        }
        other => panic!("{other:?}"),
    }
    let text = BASE.replace("weights = [2, 1]", "weights = [2, 0]");
    let (key, line, msg) = invalid(&text);
    assert_eq!(
        (key.as_str(), line),
        ("steps.total.weights", line_of(&text, "weights = [2, 0]"))
    );
    assert!(msg.contains("non-zero"), "{msg}");
}

#[test]
fn cycle_is_rejected_with_its_step() {
    let text = BASE.replace("input = \"a\"", "input = \"total\"");
    let (key, line, msg) = invalid(&text);
    assert_eq!(key, "steps.pa");
    assert_eq!(line, line_of(&text, "name = \"pa\""));
    assert!(msg.contains("cycle"), "{msg}");
    // A step that reads itself.
    let text = BASE.replace("input = \"b\"", "input = \"pb\"");
    let (key, _, _) = invalid(&text);
    assert_eq!(key, "steps.pb");
}

#[test]
fn unknown_indicator_is_rejected() {
    let text = BASE.replace("inputs = [\"pa\", \"pb\"]", "inputs = [\"pa\", \"pc\"]");
    let (key, line, msg) = invalid(&text);
    assert_eq!(
        (key.as_str(), line),
        ("steps.total.inputs", line_of(&text, "\"pc\""))
    );
    assert!(msg.contains("unknown indicator or step 'pc'"), "{msg}");
    let text = BASE.replace("score = \"total\"", "score = \"nope\"");
    let (key, line, _) = invalid(&text);
    assert_eq!(
        (key.as_str(), line),
        ("model.score", line_of(&text, "\"nope\""))
    );
}

#[test]
fn op_parameter_errors() {
    for (from, to, key) in [
        (
            "op = \"percent_rank\"\ninput = \"a\"",
            "op = \"percent_rank\"\ninput = \"a\"\nk = 2",
            "steps.pa.k",
        ),
        (
            "op = \"percent_rank\"\ninput = \"a\"",
            "op = \"percent_rankk\"\ninput = \"a\"",
            "steps.pa.op",
        ),
        (
            "op = \"percent_rank\"\ninput = \"a\"",
            "op = \"percent_rank\"\ninputs = [\"a\"]",
            "steps.pa.inputs",
        ),
        ("weights = [2, 1]", "weights = [2]", "steps.total.weights"),
        (
            "weights = [2, 1]",
            "weights = [2, 1]\nmissing = \"maybe\"",
            "steps.total.missing",
        ),
        (
            "weights = [2, 1]",
            "weights = [2, 1]\nthreshold = 3",
            "steps.total.threshold",
        ),
        ("name = \"pb\"", "name = \"pa\"", "steps[1].name"),
        ("name = \"pb\"", "name = \"a\"", "steps[1].name"),
    ] {
        let text = BASE.replacen(from, to, 1);
        let (k, line, _) = invalid(&text);
        assert_eq!(k, key, "{to}");
        assert!(line > 0);
    }
    // Both formats at once.
    let text = format!("{BASE}\n[scoring]\nnormalisation = \"z_score\"\n");
    assert_eq!(invalid(&text).0, "scoring");
}

#[test]
fn direction_orients_normalisations() {
    // B is "higher is better": its percentile rank is taken on −B, so the area with the lowest B
    // gets pb = 1.
    use lighed_core::model::{IndicatorColumn, IndicatorTable};
    let text = BASE.replace(
        "[[steps]]\nname = \"pa\"",
        "[output]\ncolumns = [\"pb\"]\n\n[[steps]]\nname = \"pa\"",
    );
    let m = ModelSpec::from_toml("m.toml", &text).unwrap();
    let t = IndicatorTable {
        area_codes: vec!["x".into(), "y".into(), "z".into()],
        columns: vec![
            IndicatorColumn {
                indicator: "a".into(),
                numerator: vec![Some(1.0); 3],
                denominator: vec![Some(10.0); 3],
            },
            IndicatorColumn {
                indicator: "b".into(),
                numerator: vec![Some(1.0), Some(5.0), Some(9.0)],
                denominator: vec![Some(10.0); 3],
            },
        ],
    };
    let ev = m.evaluate(&t).unwrap();
    assert_eq!(ev.columns[0].values, vec![Some(1.0), Some(0.5), Some(0.0)]);
    assert_eq!(ev.scores.rows[0].rank, Some(1));
}
