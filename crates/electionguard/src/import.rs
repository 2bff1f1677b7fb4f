//! Importing an ElectionGuard manifest (electionguard-python 0.95 and 1.x, egk's 2.0 and 2.1
//! JSON layout) as a fairtally manifest, so that an election defined for ElectionGuard runs
//! on fairtally: contests, selections, vote limits and ballot styles.
//!
//! The mapping (docs/ELECTIONGUARD.md, "Manifest import"):
//! - election id: `election_scope_id`; title: the election's `name` (English text preferred);
//! - contests and selections in the order the file lists them; ids are the `object_id`s with
//!   ASCII capitals made small (fairtally ids are `[a-z0-9_-]`, 1 to 64 characters; any other
//!   character is refused); a contest's title is its `name`, else its English `ballot_title`;
//!   a selection's title is its candidate's English name, else the candidate id;
//! - limits: at least 0 selections (ElectionGuard lets a voter under-vote); at most 1 for
//!   `one_of_m`, `votes_allowed` (else `number_elected`) for `n_of_m` and `plurality`, every
//!   selection for `approval`; every other variation (ranked, cumulative, Borda, STAR, ...) is
//!   refused, as is an `option_selection_limit` above 1: a fairtally option is chosen or not;
//! - write-in selections become ordinary options (titled "… (write-in)"): the count says how
//!   many voters chose to write in, not what they wrote; placeholders are not part of a
//!   manifest (ElectionGuard adds them when encrypting) and none is made;
//! - ballot styles: one per ElectionGuard ballot style, holding the contests whose
//!   `electoral_district_id` is one of the style's `geopolitical_unit_ids`, in manifest order.
//!   A style for a party primary (`party_ids`) is refused.
//!
//! Every value read is checked; sizes are bounded; an error names the file, the item (its JSON
//! path) and the reason.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use fairtally_election::manifest::{
    BallotStyle, Contest, ContestOption, MAX_BALLOT_STYLES, MAX_ID_LEN, Manifest, is_identifier,
};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::json::Node;

/// The largest manifest file read.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// The most contests imported.
const MAX_CONTESTS: usize = 1_000;
/// The most selections of one contest.
const MAX_SELECTIONS: usize = 1_000;
/// The longest title (in characters) taken over.
const MAX_TEXT_CHARS: usize = 1_000;

/// Whether `text` is an ElectionGuard manifest rather than a fairtally one: a JSON object with
/// ElectionGuard's `election_scope_id` and `contests` (a fairtally manifest has `election`).
pub fn is_electionguard_manifest(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .is_ok_and(|v| v.get("election_scope_id").is_some() && v.get("contests").is_some())
}

/// Read the ElectionGuard manifest at `path` and convert it (see the module documentation).
pub fn import_manifest_file(path: &Path) -> Result<Manifest> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(Error::TooLarge(format!(
            "{}: {size} bytes, more than the {MAX_MANIFEST_BYTES} a manifest may take",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    import_manifest(&text, &path.display().to_string())
}

/// Convert the ElectionGuard manifest `text`; `file` names it in errors.
pub fn import_manifest(text: &str, file: &str) -> Result<Manifest> {
    let value: Value = serde_json::from_str(text).map_err(|source| Error::Json {
        file: file.to_string(),
        source,
    })?;
    let root = Node::root(&value, file);
    if root.value.get("election").is_some() && root.value.get("election_scope_id").is_none() {
        return Err(root.error(
            "this is a fairtally manifest, not an ElectionGuard one (give it without \
             --manifest-format electionguard)",
        ));
    }
    let scope = root.get("election_scope_id")?;
    let election = to_id(&scope)?;
    let title = root
        .opt("name")
        .map(|n| text_of(&n))
        .transpose()?
        .flatten()
        .unwrap_or_else(|| election.clone());

    let units: BTreeSet<String> = match root.opt("geopolitical_units") {
        Some(units) => units
            .array()?
            .iter()
            .map(|u| u.get("object_id")?.id())
            .collect::<Result<_>>()?,
        None => BTreeSet::new(),
    };
    let candidates = candidates(&root)?;

    let listed = root.get("contests")?.array()?;
    if listed.is_empty() || listed.len() > MAX_CONTESTS {
        return Err(root.get("contests")?.error(format!(
            "holds {} contests; 1 to {MAX_CONTESTS} can be imported",
            listed.len()
        )));
    }
    let mut contests = Vec::with_capacity(listed.len());
    let mut districts = Vec::with_capacity(listed.len());
    for node in &listed {
        let district = node.get("electoral_district_id")?;
        let district_id = district.id()?;
        if !units.contains(&district_id) {
            return Err(district.error(format!(
                "names geopolitical unit {district_id:?}, which the manifest does not list"
            )));
        }
        districts.push(district_id);
        contests.push(contest(node, &candidates)?);
    }

    let ballot_styles = match root.opt("ballot_styles") {
        Some(styles) => Some(ballot_styles(&styles, &contests, &districts, &units)?),
        None => None,
    };
    let manifest = Manifest {
        election,
        title,
        contests,
        ballot_styles,
    };
    manifest.validate().map_err(|e| {
        root.error(format!(
            "converted, it is not a valid fairtally manifest: {e}"
        ))
    })?;
    Ok(manifest)
}

/// Candidate id → (name, whether a write-in).
fn candidates(root: &Node<'_>) -> Result<HashMap<String, (Option<String>, bool)>> {
    let mut out = HashMap::new();
    let Some(list) = root.opt("candidates") else {
        return Ok(out);
    };
    for c in list.array()? {
        let id = c.get("object_id")?.id()?;
        let name = c.opt("name").map(|n| text_of(&n)).transpose()?.flatten();
        let write_in = c
            .opt("is_write_in")
            .map(|w| w.bool())
            .transpose()?
            .unwrap_or(false);
        if out.insert(id.clone(), (name, write_in)).is_some() {
            return Err(c.error(format!("candidate {id:?} is listed twice")));
        }
    }
    Ok(out)
}

fn contest(
    node: &Node<'_>,
    candidates: &HashMap<String, (Option<String>, bool)>,
) -> Result<Contest> {
    let id = to_id(&node.get("object_id")?)?;
    let title = match node.opt("name").map(|n| text_of(&n)).transpose()?.flatten() {
        Some(name) => name,
        None => node
            .opt("ballot_title")
            .map(|n| text_of(&n))
            .transpose()?
            .flatten()
            .unwrap_or_else(|| id.clone()),
    };
    let listed = node.get("ballot_selections")?.array()?;
    if listed.is_empty() || listed.len() > MAX_SELECTIONS {
        return Err(node.get("ballot_selections")?.error(format!(
            "holds {} selections; 1 to {MAX_SELECTIONS} can be imported",
            listed.len()
        )));
    }
    let mut options = Vec::with_capacity(listed.len());
    for s in &listed {
        let option = to_id(&s.get("object_id")?)?;
        let candidate = s.get("candidate_id")?;
        let candidate_id = candidate.id()?;
        let (name, write_in) = candidates
            .get(&candidate_id)
            .cloned()
            .unwrap_or((None, false));
        let name = name.unwrap_or(candidate_id);
        options.push(ContestOption {
            id: option,
            title: if write_in {
                format!("{name} (write-in)")
            } else {
                name
            },
        });
    }
    if let Some(limit) = node.opt("option_selection_limit") {
        let r = limit.u64()?;
        if r > 1 {
            return Err(limit.error(format!(
                "is {r}: an option that takes several votes cannot be imported (a fairtally \
                 option is chosen or not)"
            )));
        }
    }
    let max_selections = vote_limit(node, options.len())?;
    Ok(Contest {
        id,
        title,
        min_selections: 0,
        max_selections,
        options,
    })
}

/// The most selections a voter may make in the contest `node` with `selections` options.
fn vote_limit(node: &Node<'_>, selections: usize) -> Result<u32> {
    let variation = node.get("vote_variation")?;
    let allowed = |key: &str| -> Result<Option<u32>> {
        let Some(n) = node.opt(key) else {
            return Ok(None);
        };
        let v = n.u64()?;
        if v == 0 || v > selections as u64 {
            return Err(n.error(format!(
                "is {v}: it must be between 1 and the contest's {selections} selections"
            )));
        }
        Ok(Some(v as u32))
    };
    let votes_allowed = allowed("votes_allowed")?;
    let number_elected = allowed("number_elected")?;
    match variation.str()? {
        "one_of_m" => match votes_allowed.or(number_elected) {
            None | Some(1) => Ok(1),
            Some(n) => {
                Err(variation.error(format!("is one_of_m, but the contest allows {n} votes")))
            }
        },
        "n_of_m" | "plurality" => votes_allowed
            .or(number_elected)
            .ok_or_else(|| node.error("gives neither votes_allowed nor number_elected")),
        "approval" => Ok(selections as u32),
        other => Err(variation.error(format!(
            "is {other:?}: only one_of_m, n_of_m, plurality and approval contests can be \
             imported (a fairtally contest counts yes/no selections, not ranks or weights)"
        ))),
    }
}

fn ballot_styles(
    node: &Node<'_>,
    contests: &[Contest],
    districts: &[String],
    units: &BTreeSet<String>,
) -> Result<Vec<BallotStyle>> {
    let listed = node.array()?;
    if listed.is_empty() || listed.len() > MAX_BALLOT_STYLES {
        return Err(node.error(format!(
            "holds {} ballot styles; 1 to {MAX_BALLOT_STYLES} can be imported",
            listed.len()
        )));
    }
    let mut styles = Vec::with_capacity(listed.len());
    for s in &listed {
        let id = to_id(&s.get("object_id")?)?;
        if let Some(parties) = s.opt("party_ids")
            && !parties.array()?.is_empty()
        {
            return Err(parties.error(
                "a primary's ballot style (by party) cannot be imported: fairtally styles \
                 choose contests by geopolitical unit only",
            ));
        }
        let mut in_style = BTreeSet::new();
        if let Some(ids) = s.opt("geopolitical_unit_ids") {
            for unit in ids.array()? {
                let unit_id = unit.id()?;
                if !units.contains(&unit_id) {
                    return Err(unit.error(format!(
                        "names geopolitical unit {unit_id:?}, which the manifest does not list"
                    )));
                }
                in_style.insert(unit_id);
            }
        }
        let chosen: Vec<String> = contests
            .iter()
            .zip(districts)
            .filter(|(_, d)| in_style.contains(*d))
            .map(|(c, _)| c.id.clone())
            .collect();
        if chosen.is_empty() {
            return Err(s.error(format!(
                "ballot style {id:?} holds no contest (none is in its geopolitical units)"
            )));
        }
        styles.push(BallotStyle {
            id,
            contests: chosen,
        });
    }
    Ok(styles)
}

/// A fairtally identifier from an ElectionGuard `object_id`: ASCII capitals made small; any
/// character other than `[a-z0-9_-]` (after that) is refused.
fn to_id(node: &Node<'_>) -> Result<String> {
    let raw = node.id()?;
    let id = raw.to_ascii_lowercase();
    if is_identifier(&id) {
        Ok(id)
    } else {
        Err(node.error(format!(
            "{raw:?} cannot be a fairtally identifier (1 to {MAX_ID_LEN} characters of \
             letters, digits, '-' and '_')"
        )))
    }
}

/// The text of an ElectionGuard name: a string, or internationalized text
/// (`{"text": [{"value", "language"}]}`, or the bare list), English preferred, else the first
/// language. `None` when it holds no text.
fn text_of(node: &Node<'_>) -> Result<Option<String>> {
    let text = match node.value {
        Value::String(s) => Some(s.clone()),
        Value::Object(_) => match node.opt("text") {
            Some(list) => pick_language(&list)?,
            None => return Err(node.error("is neither a string nor internationalized text")),
        },
        Value::Array(_) => pick_language(node)?,
        _ => return Err(node.error("is neither a string nor internationalized text")),
    };
    let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if let Some(t) = &text
        && (t.chars().count() > MAX_TEXT_CHARS || t.chars().any(char::is_control))
    {
        return Err(node.error(format!(
            "a name must be at most {MAX_TEXT_CHARS} characters without control characters"
        )));
    }
    Ok(text)
}

fn pick_language(list: &Node<'_>) -> Result<Option<String>> {
    let mut first = None;
    for entry in list.array()? {
        let value = entry.get("value")?.str()?;
        let language = entry.opt("language").map(|l| l.str()).transpose()?;
        if language.is_some_and(|l| l.eq_ignore_ascii_case("en") || l.starts_with("en-")) {
            return Ok(Some(value.to_string()));
        }
        first.get_or_insert_with(|| value.to_string());
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/electionguard")
            .join(rel)
    }

    const HAMILTON: &str =
        "python-1.x/1.0.0-preview-1/sample/hamilton-general/election_record/manifest.json";

    #[test]
    fn hamilton_general_imports_with_its_four_ballot_styles() -> Result<()> {
        let m = import_manifest_file(&data(HAMILTON))?;
        assert_eq!(m.contests.len(), 2);
        let justice = &m.contests[0];
        assert_eq!(justice.id, "justice-supreme-court");
        assert_eq!(justice.title, "Justice of the Supreme Court");
        assert_eq!((justice.min_selections, justice.max_selections), (0, 2));
        assert_eq!(justice.options.len(), 4);
        assert_eq!(justice.options[0].title, "John Adams");
        assert_eq!(m.contests[1].max_selections, 1);
        let styles = m.ballot_styles.as_ref().map(Vec::len);
        assert_eq!(styles, Some(4));
        assert_eq!(
            m.style("jefferson-county-ballot-style")
                .map(|s| s.contests.clone()),
            Some(vec!["justice-supreme-court".to_string()])
        );
        assert_eq!(
            m.style("harrison-township-ballot-style")
                .map(|s| s.contests.len()),
            Some(2)
        );
        Ok(())
    }

    #[test]
    fn every_sample_manifest_imports() -> Result<()> {
        for rel in [
            HAMILTON,
            "python-1.x/1.91/sample/manifest.json",
            "python-1.x/0.95.0/sample/minimal/election_record/manifest.json",
            "egk-ec-2.1/allAvailable/manifest.json",
            "manifest-small.json",
        ] {
            let text = std::fs::read_to_string(data(rel)).map_err(|source| Error::Io {
                path: data(rel),
                source,
            })?;
            assert!(is_electionguard_manifest(&text), "{rel}");
            let m = import_manifest(&text, rel)?;
            assert!(!m.contests.is_empty(), "{rel}");
            assert!(m.validate().is_ok(), "{rel}");
        }
        // egk's 2.0 workflow manifest is too large for one fairtally ballot (one
        // bulletin-board entry): refused, saying so. Its first three contests import.
        {
            let rel = "egk-2.0/workflow/allAvailableJson/manifest.json";
            let e = import_manifest_file(&data(rel))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(e.contains("bulletin-board entry"), "{e}");
            let text = std::fs::read_to_string(data(rel)).unwrap_or_default();
            let mut value: Value = serde_json::from_str(&text).unwrap_or_default();
            if let Some(contests) = value["contests"].as_array_mut() {
                contests.truncate(3);
            }
            let egk = import_manifest(&value.to_string(), rel)?;
            assert_eq!(egk.election, "testmanifest");
            assert_eq!(egk.contests.len(), 3);
            assert_eq!(egk.contests[0].id, "contest1");
            assert_eq!(egk.contests[0].max_selections, 1);
            let styles = egk.ballot_styles.unwrap_or_default();
            assert_eq!(styles[0].id, "ballotstyle");
            assert_eq!(styles[0].contests.len(), 3);
        }
        Ok(())
    }

    fn hamilton_edited(edit: impl FnOnce(&mut Value)) -> String {
        let text = std::fs::read_to_string(data(HAMILTON)).unwrap_or_default();
        let mut value: Value = serde_json::from_str(&text).unwrap_or_default();
        edit(&mut value);
        match import_manifest(&value.to_string(), "m.json") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn what_cannot_be_imported_is_refused_naming_the_item() {
        let e = hamilton_edited(|v| v["contests"][0]["vote_variation"] = "borda".into());
        assert!(e.starts_with("m.json: contests[0].vote_variation:"), "{e}");
        assert!(e.contains("\"borda\""), "{e}");
        let e = hamilton_edited(|v| v["contests"][1]["votes_allowed"] = 2.into());
        assert!(e.contains("one_of_m, but the contest allows 2"), "{e}");
        let e = hamilton_edited(|v| v["contests"][0]["votes_allowed"] = 9.into());
        assert!(e.contains("contests[0].votes_allowed: is 9"), "{e}");
        let e = hamilton_edited(|v| v["contests"][0]["object_id"] = "justice court".into());
        assert!(
            e.contains("contests[0].object_id") && e.contains("identifier"),
            "{e}"
        );
        let e = hamilton_edited(|v| v["contests"][0]["electoral_district_id"] = "mars".into());
        assert!(
            e.contains("contests[0].electoral_district_id") && e.contains("\"mars\""),
            "{e}"
        );
        let e = hamilton_edited(|v| v["ballot_styles"][0]["geopolitical_unit_ids"] = Value::Null);
        assert!(
            e.contains("ballot_styles[0]") && e.contains("holds no contest"),
            "{e}"
        );
        let e = hamilton_edited(|v| v["ballot_styles"][1]["party_ids"] = vec!["whig"].into());
        assert!(
            e.contains("ballot_styles[1].party_ids") && e.contains("primary"),
            "{e}"
        );
        let e = hamilton_edited(|v| v["contests"][0]["option_selection_limit"] = 2.into());
        assert!(e.contains("option_selection_limit: is 2"), "{e}");
        let e = hamilton_edited(|v| v["contests"][1]["object_id"] = "Justice-Supreme-Court".into());
        assert!(
            e.contains("not a valid fairtally manifest") && e.contains("twice"),
            "{e}"
        );
        let e = hamilton_edited(|v| v["contests"] = Value::Array(Vec::new()));
        assert!(e.contains("contests: holds 0 contests"), "{e}");
        let e = hamilton_edited(|v| v["contests"][0]["vote_variation"] = "approval".into());
        assert_eq!(e, "");
        let e = hamilton_edited(|v| {
            for style in 1..4 {
                v["ballot_styles"][style]["geopolitical_unit_ids"] =
                    vec!["jefferson-county"].into();
            }
        });
        assert!(
            e.contains("\"referendum-pineapple\" is on no ballot style"),
            "{e}"
        );
        let e = import_manifest("{", "m.json")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("m.json: not valid JSON"), "{e}");
        assert!(!is_electionguard_manifest(
            fairtally_election::manifest::DEFAULT_MANIFEST_JSON
        ));
    }
}
