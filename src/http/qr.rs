//! QR codes drawn as inline SVG (no script, no image request, nothing for the CSP to allow):
//! the authenticator-app link on the account page.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `data` as an `<svg>` element, or `None` if it is too long for a QR code.
pub fn svg(data: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let image = code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // Inline in HTML: the XML declaration has no place there.
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_becomes_an_svg_element() {
        let svg = super::svg("otpauth://totp/GrandLyon%20Connect:camille@lyon.fr?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<path"), "{svg}");
    }
}
