//! Verify one record and print the report as JSON (development aid).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let options = fairtally_electionguard::Options {
        allow_test_group: true,
    };
    match fairtally_electionguard::verify_path(std::path::Path::new(&path), None, options) {
        Ok(r) => println!(
            "{}",
            serde_json::to_string_pretty(&r.to_json()).unwrap_or_default()
        ),
        Err(e) => println!("error: {e}"),
    }
}
