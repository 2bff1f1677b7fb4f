//! The tally: homomorphic sum of the counted ballots, guardians' decryption shares with
//! Chaum–Pedersen proofs, Lagrange combination of any k shares, and the discrete logarithm of
//! each total.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::traits::Identity;
use fairtally_crypto::dlog::DiscreteLog;
use fairtally_crypto::elgamal::{Ciphertext, Nonce, PublicKey, encrypt};
use fairtally_crypto::encoding::hex_point;
use fairtally_crypto::hash::Digest;
use fairtally_crypto::proofs::DecryptionProof;
use fairtally_crypto::sharing::lagrange_at_zero;
use fairtally_crypto::{RistrettoPoint, Scalar};
use serde::{Deserialize, Serialize};

use crate::ballot::BallotBody;
use crate::ceremony::{KeyShare, public_key_share};
use crate::error::{ElectionError, Result};
use crate::guardian::GuardianPublic;
use crate::manifest::Manifest;
use crate::parameters::ElectionParameters;
use crate::record::{ItemKind, RecordItem};

/// The running homomorphic sum, one ciphertext per option in manifest order (contest by
/// contest). It starts from the public encryption of 0 with nonce 1, (g, K), so that no total
/// is ever the identity, whatever the number of ballots. A ballot adds to the contests it holds
/// (all of them, or its ballot style's), and each contest counts the ballots that held it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accumulator {
    /// The per-option sums.
    pub sums: Vec<Ciphertext>,
    /// The number of ballots added.
    pub count: u64,
    /// Per contest (manifest order), the number of added ballots that hold it.
    pub contest_ballots: Vec<u64>,
    /// Per contest (manifest order): its id, the position of its first option in `sums` and
    /// its number of options.
    layout: std::sync::Arc<Vec<(String, usize, usize)>>,
}

impl Accumulator {
    /// An empty sum for ballots of `manifest`: all zero (identity) and no ballots. Sums of
    /// partial accumulators are combined with [`Accumulator::merge`]; the tally starts from
    /// [`Accumulator::start`].
    pub fn empty(manifest: &Manifest) -> Self {
        let mut offset = 0;
        let layout = manifest
            .contests
            .iter()
            .map(|c| {
                let entry = (c.id.clone(), offset, c.options.len());
                offset += c.options.len();
                entry
            })
            .collect::<Vec<_>>();
        Accumulator {
            sums: vec![Ciphertext::zero(); offset],
            count: 0,
            contest_ballots: vec![0; layout.len()],
            layout: std::sync::Arc::new(layout),
        }
    }

    /// The tally's starting point: (g, K) = Enc(0; 1) for every option.
    pub fn start(manifest: &Manifest, pk: &PublicKey) -> Self {
        let one = encrypt(pk, 0, &Nonce::from_scalar(Scalar::ONE));
        let mut acc = Self::empty(manifest);
        acc.sums.fill(one);
        acc
    }

    /// Add (or, with `remove`, take out) a ballot's ciphertexts, contest by contest into the
    /// slots of the contest of the same id (its structure must have been checked: contests in
    /// manifest order, the manifest's options).
    fn apply(&mut self, ballot: &BallotBody, remove: bool) {
        let mut next = 0;
        for contest in &ballot.contests {
            let Some(k) = self.layout[next..]
                .iter()
                .position(|(id, ..)| *id == contest.contest)
                .map(|k| k + next)
            else {
                continue;
            };
            next = k + 1;
            let (_, offset, len) = self.layout[k];
            let slots = self.sums[offset..offset + len].iter_mut();
            for (sum, s) in slots.zip(&contest.selections) {
                let ct = s.ciphertext.ciphertext();
                if remove {
                    sum.pad -= ct.pad;
                    sum.data -= ct.data;
                } else {
                    *sum = *sum + ct;
                }
            }
            let held = &mut self.contest_ballots[k];
            *held = if remove {
                held.saturating_sub(1)
            } else {
                *held + 1
            };
        }
    }

    /// Add a ballot's ciphertexts (its structure must match the manifest).
    pub fn add(&mut self, ballot: &BallotBody) {
        self.apply(ballot, false);
        self.count += 1;
    }

    /// Remove a ballot added before (a ballot superseded by a re-vote).
    pub fn subtract(&mut self, ballot: &BallotBody) {
        self.apply(ballot, true);
        self.count = self.count.saturating_sub(1);
    }

    /// Add another partial sum.
    pub fn merge(&mut self, other: &Accumulator) {
        for (sum, ct) in self.sums.iter_mut().zip(&other.sums) {
            *sum = *sum + *ct;
        }
        for (held, more) in self.contest_ballots.iter_mut().zip(&other.contest_ballots) {
            *held += more;
        }
        self.count += other.count;
    }

    /// The published form. With ballot styles each contest says how many ballots held it.
    pub fn to_tally(&self, manifest: &Manifest) -> EncryptedTally {
        let mut sums = self.sums.iter();
        let styled = manifest.ballot_styles.is_some();
        let contests = manifest
            .contests
            .iter()
            .zip(&self.contest_ballots)
            .map(|(c, &held)| TallyContest {
                contest: c.id.clone(),
                ballots: styled.then_some(held),
                options: c
                    .options
                    .iter()
                    .map(|o| TallyOption {
                        option: o.id.clone(),
                        ciphertext: sums.next().copied().unwrap_or_else(Ciphertext::zero),
                    })
                    .collect(),
            })
            .collect();
        EncryptedTally {
            ballots: self.count,
            contests,
        }
    }
}

/// The re-vote rule, in one place for the verifier and the ballot box: among the cast ballots
/// of one credential, the last in board order counts; each earlier one is *superseded* and
/// does not count. Challenged ballots never count and never supersede (do not pass them).
///
/// Feed the valid cast ballots in board order; `T` is whatever the caller needs to find a
/// ballot again (a line and offset, a board index).
#[derive(Clone, Debug)]
pub struct RevoteRule<T> {
    latest: Vec<Option<T>>,
}

impl<T> RevoteRule<T> {
    /// The rule for a list of `credentials` credentials, before any ballot.
    pub fn new(credentials: usize) -> Self {
        RevoteRule {
            latest: std::iter::repeat_with(|| None).take(credentials).collect(),
        }
    }

    /// The next valid cast ballot in board order, by the credential's position in the list.
    /// Returns the ballot it supersedes, if the credential had cast one before. A position
    /// outside the list is ignored (such a ballot is not valid).
    pub fn cast(&mut self, credential: usize, ballot: T) -> Option<T> {
        self.latest.get_mut(credential)?.replace(ballot)
    }
}

/// `encrypted-tally.json`: the sum of the counted ballots per option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTally {
    /// The number of counted ballots.
    pub ballots: u64,
    /// Per contest, per option.
    pub contests: Vec<TallyContest>,
}

/// One contest of the encrypted tally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyContest {
    /// The contest id.
    pub contest: String,
    /// With ballot styles: the number of counted ballots that hold this contest (absent
    /// without styles, where every counted ballot does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots: Option<u64>,
    /// Per option.
    pub options: Vec<TallyOption>,
}

/// One option's encrypted total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyOption {
    /// The option id.
    pub option: String,
    /// The sum of its ciphertexts.
    pub ciphertext: Ciphertext,
}

impl RecordItem for EncryptedTally {
    const KIND: ItemKind = ItemKind::EncryptedTally;
}

impl EncryptedTally {
    /// The ciphertexts in manifest order, after checking the structure matches the manifest.
    pub fn flat(&self, manifest: &Manifest) -> Result<Vec<Ciphertext>> {
        check_shape(
            manifest,
            self.contests.iter().map(|c| {
                (
                    c.contest.as_str(),
                    c.options.iter().map(|o| o.option.as_str()).collect(),
                )
            }),
        )
        .map_err(|e| ElectionError::Tally(format!("encrypted tally: {e}")))?;
        Ok(self
            .contests
            .iter()
            .flat_map(|c| c.options.iter().map(|o| o.ciphertext))
            .collect())
    }
}

fn check_shape<'a>(
    manifest: &Manifest,
    contests: impl ExactSizeIterator<Item = (&'a str, Vec<&'a str>)>,
) -> std::result::Result<(), String> {
    if contests.len() != manifest.contests.len() {
        return Err(format!(
            "{} contests, the manifest has {}",
            contests.len(),
            manifest.contests.len()
        ));
    }
    for ((id, options), m) in contests.zip(&manifest.contests) {
        if id != m.id
            || options.len() != m.options.len()
            || options.iter().zip(&m.options).any(|(a, b)| *a != b.id)
        {
            return Err(format!(
                "contest {id:?} does not match the manifest's contest {:?}",
                m.id
            ));
        }
    }
    Ok(())
}

/// One guardian's decryption share of the encrypted tally: per option the partial decryption
/// pad^{s_i} with a proof that it uses the same s_i as the guardian's public key share g^{s_i}.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The guardian's sequence number.
    pub guardian: u32,
    /// Per contest, per option.
    pub contests: Vec<ShareContest>,
}

/// One contest of a decryption share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareContest {
    /// The contest id.
    pub contest: String,
    /// Per option.
    pub options: Vec<SharePart>,
}

/// One option's partial decryption.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharePart {
    /// The option id.
    pub option: String,
    /// pad^{s_i}.
    #[serde(with = "hex_point")]
    pub partial: RistrettoPoint,
    /// Chaum–Pedersen proof: log_g(g^{s_i}) = log_pad(partial).
    pub proof: DecryptionProof,
}

impl RecordItem for DecryptionShare {
    const KIND: ItemKind = ItemKind::DecryptionShare;
}

/// The binding of guardian `guardian`'s decryption proof for one option.
pub fn decryption_binding(guardian: u32, contest: &str, option: &str) -> Vec<u8> {
    let mut binding = b"decrypt".to_vec();
    binding.extend_from_slice(&guardian.to_be_bytes());
    binding.extend_from_slice(contest.as_bytes());
    binding.push(0);
    binding.extend_from_slice(option.as_bytes());
    binding
}

/// A guardian's decryption share of `tally`.
pub fn decrypt_share(
    base_hash: &Digest,
    manifest: &Manifest,
    key: &KeyShare,
    tally: &EncryptedTally,
) -> Result<DecryptionShare> {
    tally.flat(manifest)?;
    let contests = tally
        .contests
        .iter()
        .map(|c| ShareContest {
            contest: c.contest.clone(),
            options: c
                .options
                .iter()
                .map(|o| {
                    let partial = o.ciphertext.pad * key.secret();
                    let binding = decryption_binding(key.index, &c.contest, &o.option);
                    let proof = DecryptionProof::prove(
                        base_hash,
                        &binding,
                        key.secret(),
                        &o.ciphertext.pad,
                        &partial,
                    );
                    SharePart {
                        option: o.option.clone(),
                        partial,
                        proof,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(DecryptionShare {
        guardian: key.index,
        contests,
    })
}

/// Check a decryption share's shape and every proof; the error names the contest and option.
pub fn verify_share(
    base_hash: &Digest,
    manifest: &Manifest,
    guardians: &[GuardianPublic],
    tally: &EncryptedTally,
    share: &DecryptionShare,
) -> std::result::Result<(), String> {
    if share.guardian == 0 || share.guardian as usize > guardians.len() {
        return Err(format!("there is no guardian {}", share.guardian));
    }
    check_shape(
        manifest,
        share.contests.iter().map(|c| {
            (
                c.contest.as_str(),
                c.options.iter().map(|o| o.option.as_str()).collect(),
            )
        }),
    )?;
    let public = public_key_share(guardians, share.guardian);
    for (c, t) in share.contests.iter().zip(&tally.contests) {
        for (o, ct) in c.options.iter().zip(&t.options) {
            let binding = decryption_binding(share.guardian, &c.contest, &o.option);
            o.proof
                .verify(base_hash, &binding, &public, &ct.ciphertext.pad, &o.partial)
                .map_err(|e| format!("contest {}, option {}: {e}", c.contest, o.option))?;
        }
    }
    Ok(())
}

/// Combine the shares of at least k distinct guardians: g^{m} = data / Π partial_i^{λ_i} per
/// option, in manifest order. The shares must have been verified.
pub fn combine(
    parameters: &ElectionParameters,
    tally: &[Ciphertext],
    shares: &[DecryptionShare],
) -> Result<Vec<RistrettoPoint>> {
    let present: Vec<u32> = shares.iter().map(|s| s.guardian).collect();
    if present.len() < parameters.threshold as usize {
        return Err(ElectionError::Tally(format!(
            "{} decryption shares, the threshold is {}",
            present.len(),
            parameters.threshold
        )));
    }
    let mut blinding = vec![RistrettoPoint::identity(); tally.len()];
    for share in shares {
        let lambda = lagrange_at_zero(share.guardian, &present)
            .map_err(|e| ElectionError::Tally(e.to_string()))?;
        let partials = share
            .contests
            .iter()
            .flat_map(|c| c.options.iter().map(|o| o.partial));
        for (b, p) in blinding.iter_mut().zip(partials) {
            *b += p * lambda;
        }
    }
    Ok(tally
        .iter()
        .zip(&blinding)
        .map(|(ct, b)| ct.data - b)
        .collect())
}

/// `result.json`: the published result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionResult {
    /// The number of counted ballots (the last cast ballot of each credential that voted).
    pub counted: u64,
    /// Per contest, per option.
    pub contests: Vec<ResultContest>,
}

/// One contest of the result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultContest {
    /// The contest id.
    pub contest: String,
    /// With ballot styles: the number of counted ballots that hold this contest (absent
    /// without styles, where every counted ballot does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots: Option<u64>,
    /// Per option.
    pub options: Vec<ResultOption>,
}

/// One option's total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultOption {
    /// The option id.
    pub option: String,
    /// Its number of votes.
    pub votes: u64,
}

impl RecordItem for ElectionResult {
    const KIND: ItemKind = ItemKind::Result;
}

impl ElectionResult {
    /// Solve each g^m (m <= number of counted ballots) and lay the totals out per contest.
    pub fn decrypt(manifest: &Manifest, counted: u64, points: &[RistrettoPoint]) -> Result<Self> {
        let dlog = DiscreteLog::new(counted);
        let names = manifest
            .contests
            .iter()
            .flat_map(|c| c.options.iter().map(move |o| (c, o)));
        if points.len() != manifest.option_count() {
            return Err(ElectionError::Tally(format!(
                "{} totals for {} options",
                points.len(),
                manifest.option_count()
            )));
        }
        let totals = names
            .zip(points)
            .map(|((c, o), point)| {
                dlog.solve(point).ok_or_else(|| {
                    ElectionError::Tally(format!(
                        "contest {}, option {}: the decrypted total is not between 0 and {counted}",
                        c.id, o.id
                    ))
                })
            })
            .collect::<Result<Vec<u64>>>()?;
        Ok(Self::from_totals(manifest, counted, &totals))
    }

    /// Lay out per-option totals (manifest order) per contest.
    pub fn from_totals(manifest: &Manifest, counted: u64, totals: &[u64]) -> Self {
        let mut it = totals.iter();
        let contests = manifest
            .contests
            .iter()
            .map(|c| ResultContest {
                contest: c.id.clone(),
                ballots: None,
                options: c
                    .options
                    .iter()
                    .map(|o| ResultOption {
                        option: o.id.clone(),
                        votes: it.next().copied().unwrap_or(0),
                    })
                    .collect(),
            })
            .collect();
        ElectionResult { counted, contests }
    }

    /// Copy each contest's number of ballots from the encrypted tally it was decrypted from
    /// (contests in the same order, checked by [`EncryptedTally::flat`]).
    pub fn with_contest_ballots(mut self, tally: &EncryptedTally) -> Self {
        for (r, t) in self.contests.iter_mut().zip(&tally.contests) {
            r.ballots = t.ballots;
        }
        self
    }

    /// Check that every contest's number of ballots is the (verified) encrypted tally's, and
    /// that none exceeds the number of counted ballots; names the first contest that differs.
    pub fn check_contest_ballots(&self, tally: &EncryptedTally) -> std::result::Result<(), String> {
        for (r, t) in self.contests.iter().zip(&tally.contests) {
            if r.ballots != t.ballots {
                return Err(format!(
                    "contest {}: {} ballots holding it published, the encrypted tally says {}",
                    r.contest,
                    r.ballots.map_or("no count of".into(), |n| n.to_string()),
                    t.ballots.map_or("none".into(), |n| n.to_string())
                ));
            }
        }
        Ok(())
    }

    /// Check this (published) result against the combined decryption `points`, without
    /// discrete logarithms: g^votes must equal each point. Names the first contest and option
    /// that differs.
    pub fn check(
        &self,
        manifest: &Manifest,
        points: &[RistrettoPoint],
    ) -> std::result::Result<(), String> {
        check_shape(
            manifest,
            self.contests.iter().map(|c| {
                (
                    c.contest.as_str(),
                    c.options.iter().map(|o| o.option.as_str()).collect(),
                )
            }),
        )?;
        let votes = self
            .contests
            .iter()
            .flat_map(|c| c.options.iter().map(move |o| (c, o)));
        for ((c, o), point) in votes.zip(points) {
            if RISTRETTO_BASEPOINT_TABLE * &Scalar::from(o.votes) != *point {
                return Err(format!(
                    "contest {}, option {}: {} votes published, the decryption differs",
                    c.contest, o.option, o.votes
                ));
            }
        }
        Ok(())
    }

    /// The votes of option `option` in contest `contest`.
    pub fn votes(&self, contest: &str, option: &str) -> Option<u64> {
        self.contests
            .iter()
            .find(|c| c.contest == contest)?
            .options
            .iter()
            .find(|o| o.option == option)
            .map(|o| o.votes)
    }
}
