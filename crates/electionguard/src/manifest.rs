//! The part of an ElectionGuard manifest a verifier needs: contests, their limits, their
//! selections and the candidates' names. 0.95, 1.x and egk's 2.0 share this layout.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::json::Node;
use crate::report::{ContestResult, SelectionResult};
use crate::source::Files;

/// A contest of the manifest.
pub struct ManifestContest {
    /// object_id.
    pub id: String,
    /// Its name (empty if the manifest gives none).
    pub name: String,
    /// Its sequence_order (the contest index of ElectionGuard 2.0).
    pub sequence: u32,
    /// L: how many selections a voter may make.
    pub votes_allowed: u64,
    /// R: how many votes one option may get (1 when the manifest does not say).
    pub option_limit: u64,
    /// Selection object_id and the candidate's name (its candidate_id if it has no name).
    pub selections: Vec<(String, String)>,
}

fn name_of(candidate: &Node) -> Option<String> {
    let text = candidate.opt("name")?.opt("text")?;
    let first = text.value.as_array()?.first()?;
    first.get("value")?.as_str().map(str::to_string)
}

/// Read `manifest.json`.
pub fn read(files: &Files) -> Result<Vec<ManifestContest>> {
    let file = "manifest.json";
    let value = files.json(file)?;
    let root = Node::root(&value, file);
    let mut names = BTreeMap::new();
    if let Some(candidates) = root.opt("candidates") {
        for c in candidates.array()? {
            if let Some(name) = name_of(&c) {
                names.insert(c.get("object_id")?.str()?.to_string(), name);
            }
        }
    }
    let mut contests = Vec::new();
    for c in root.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("ballot_selections")?.array()? {
            let candidate = s.get("candidate_id")?.str()?.to_string();
            let name = names.get(&candidate).cloned().unwrap_or(candidate);
            selections.push((s.get("object_id")?.str()?.to_string(), name));
        }
        let sequence = c.get("sequence_order")?;
        contests.push(ManifestContest {
            id: c.get("object_id")?.str()?.to_string(),
            name: c
                .opt("name")
                .map(|n| n.str().map(str::to_string))
                .transpose()?
                .unwrap_or_default(),
            sequence: u32::try_from(sequence.u64()?)
                .map_err(|_| sequence.error("is larger than 2^32 − 1"))?,
            votes_allowed: c.get("votes_allowed")?.u64()?,
            option_limit: c
                .opt("option_selection_limit")
                .map(|n| n.u64())
                .transpose()?
                .unwrap_or(1),
            selections,
        });
    }
    Ok(contests)
}

/// The result in manifest order, with `count(contest id, selection id)` for each selection
/// (0 for a selection the tally lacks: the tally steps fail such a tally).
pub fn result(
    manifest: &[ManifestContest],
    count: impl Fn(&str, &str) -> Option<u64>,
) -> Vec<ContestResult> {
    manifest
        .iter()
        .map(|m| ContestResult {
            id: m.id.clone(),
            name: m.name.clone(),
            selections: m
                .selections
                .iter()
                .map(|(sid, name)| SelectionResult {
                    id: sid.clone(),
                    name: name.clone(),
                    count: count(&m.id, sid).unwrap_or(0),
                })
                .collect(),
        })
        .collect()
}

/// [`result`] from decrypted contests given as (contest id, selections), each selection's id
/// and count read by `read` (the tally of every record layout has this shape).
pub fn result_from<S>(
    manifest: &[ManifestContest],
    contests: &[(String, Vec<S>)],
    read: impl Fn(&S) -> (&str, u64),
) -> Vec<ContestResult> {
    result(manifest, |cid, sid| {
        let (_, selections) = contests.iter().find(|(id, _)| id == cid)?;
        selections
            .iter()
            .map(&read)
            .find(|(id, _)| *id == sid)
            .map(|(_, n)| n)
    })
}
