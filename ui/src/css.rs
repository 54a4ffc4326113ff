//! CSS class names of grades, incident classes and closed-loop stages, shared by every view that colours them.

use citydeck_protocol::{Grade, IncidentClass, Stage};

pub fn grade_css(g: Grade) -> &'static str {
    match g {
        Grade::I => "g1",
        Grade::II => "g2",
        Grade::III => "g3",
        Grade::IV => "g4",
    }
}

pub fn class_css(c: IncidentClass) -> &'static str {
    match c {
        IncidentClass::NaturalDisaster => "c-natural",
        IncidentClass::Accident => "c-accident",
        IncidentClass::PublicHealth => "c-health",
        IncidentClass::SocialSecurity => "c-social",
    }
}

pub fn stage_css(s: Stage) -> &'static str {
    match s {
        Stage::Collected => "s-collected",
        Stage::Identified => "s-identified",
        Stage::Assigned => "s-assigned",
        Stage::Handling => "s-handling",
        Stage::Feedback => "s-feedback",
        Stage::Supervised => "s-supervised",
        Stage::Closed => "s-closed",
    }
}
