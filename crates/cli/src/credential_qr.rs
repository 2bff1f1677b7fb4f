//! A QR code of a voter's credential file, for delivery beside the file: the booth's
//! "Scan QR code" reads it, and the text it decodes is the file's content, byte for byte.

use std::path::Path;

use anyhow::Context;
use fairtally_files::Access;
use qrcode::{Color, EcLevel, QrCode};

/// Error correction: level M restores up to 15% of damaged modules, enough for a printout
/// that is creased or photographed at an angle, and keeps a credential file (about 170
/// bytes) at version 9, 53 modules a side, which a phone camera reads from a hand's length.
pub const EC_LEVEL: EcLevel = EcLevel::M;

/// Modules of white margin on each side (the quiet zone the QR standard asks for).
const QUIET_ZONE: usize = 4;

/// The SVG of a QR code that holds `content` exactly: one square per dark module, in a
/// view box of module units with the quiet zone around it.
pub fn svg(content: &[u8]) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(content, EC_LEVEL).with_context(|| {
        format!(
            "{} bytes do not fit a QR code at error correction level M",
            content.len()
        )
    })?;
    let width = code.width();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>\n",
        px = side * 8
    ))
}

/// Writes the QR code of the file at `credential` beside it (same name, `.svg`), owner-only
/// like the file: the code is as secret as the file. Refuses to overwrite.
pub fn write_beside(credential: &Path) -> anyhow::Result<()> {
    let content =
        std::fs::read(credential).with_context(|| format!("reading {}", credential.display()))?;
    let target = credential.with_extension("svg");
    let svg = svg(&content).with_context(|| format!("QR code of {}", credential.display()))?;
    fairtally_files::write_new(&target, svg.as_bytes(), Access::OwnerOnly)
        .with_context(|| format!("writing {}", target.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules an SVG made by [`svg`] draws, read back from its path, as a
    /// raster of `scale` pixels a module (true = dark); and the side in modules.
    fn raster(svg: &str, scale: usize) -> (Vec<bool>, usize) {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("a view box");
        let d = svg.split(" d=\"").nth(1).expect("a path");
        let d = &d[..d.find('"').expect("the path's end")];
        let px = side * scale;
        let mut pixels = vec![false; px * px];
        for square in d.split('M').filter(|s| !s.is_empty()) {
            let square = square.strip_suffix("h1v1h-1z").expect("a unit square");
            let (x, y) = square.split_once(' ').expect("x y");
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for dy in 0..scale {
                for dx in 0..scale {
                    pixels[(y * scale + dy) * px + x * scale + dx] = true;
                }
            }
        }
        (pixels, px)
    }

    fn decode(svg: &str) -> Vec<u8> {
        let (pixels, px) = raster(svg, 4);
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(px, px, |x, y| pixels[y * px + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        let mut out = Vec::new();
        grids[0].decode_to(&mut out).expect("the code decodes");
        out
    }

    #[test]
    fn a_credential_file_round_trips_through_a_decoder_byte_for_byte() {
        let (credentials, _) = fairtally_election::credential::issue(1).unwrap();
        let mut file = serde_json::to_vec_pretty(&credentials[0]).unwrap();
        file.push(b'\n');
        let svg = svg(&file).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(decode(&svg), file);
        // A credential file is about 170 bytes: version 9 at level M (53 modules + margins).
        assert!(file.len() < 182, "{} bytes", file.len());
        assert!(svg.contains("viewBox=\"0 0 61 61\""), "{}", &svg[..120]);
    }

    #[test]
    fn the_svg_is_written_beside_the_file_owner_only_and_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("voter-00001.json");
        std::fs::write(&file, b"{\"public\": \"x\"}\n").unwrap();
        write_beside(&file).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("voter-00001.svg")).unwrap();
        assert_eq!(decode(&svg), b"{\"public\": \"x\"}\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(dir.path().join("voter-00001.svg")).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        let again = write_beside(&file).unwrap_err();
        assert!(
            format!("{again:#}").contains("voter-00001.svg"),
            "{again:#}"
        );
    }

    #[test]
    fn content_too_large_for_a_qr_code_is_refused_with_its_size() {
        let err = svg(&vec![b'a'; 3000]).unwrap_err();
        assert!(format!("{err:#}").contains("3000 bytes"), "{err:#}");
    }
}
