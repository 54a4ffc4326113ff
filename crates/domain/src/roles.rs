//! Who may do what. Enforced by the hub; the UI only hides what the hub would refuse anyway.

use citydeck_protocol::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read incidents, events, the stream.
    Read,
    /// Create an incident.
    CreateIncident,
    /// Change an incident (stage, assignment, notes).
    UpdateIncident,
    /// Switch peacetime / wartime.
    SwitchMode,
    /// Manage accounts.
    Administer,
    /// Post vital-sign readings (`POST /api/v1/readings`).
    PostReadings,
    /// Silence the grade-I alarm for every screen by acknowledging the incident (issue 24).
    AcknowledgeAlarm,
    /// Verify an incident (核实) and split a wrongly merged report back out (issue 22).
    Verify,
    /// Bring in what another source published (`POST /api/v1/ingest/…`: CAP alerts, GeoJSON feeds; issue 22).
    Ingest,
}

pub trait Permission {
    fn may(self, action: Action) -> bool;
}

impl Permission for Role {
    fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Leader => matches!(action, Read),
            Role::Operator => matches!(
                action,
                Read | CreateIncident | UpdateIncident | PostReadings | AcknowledgeAlarm | Ingest | Verify
            ),
            Role::Field => matches!(action, Read | CreateIncident | UpdateIncident),
            Role::Commander => matches!(
                action,
                Read | CreateIncident | UpdateIncident | SwitchMode | AcknowledgeAlarm | Verify
            ),
            Role::Feed => matches!(action, PostReadings | Ingest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leader_is_read_only() {
        assert!(Role::Leader.may(Action::Read));
        for a in [
            Action::CreateIncident,
            Action::UpdateIncident,
            Action::SwitchMode,
            Action::Administer,
        ] {
            assert!(!Role::Leader.may(a), "{a:?}");
        }
    }

    #[test]
    fn readings_come_from_operators_admins_and_feeds_and_a_feed_does_nothing_else() {
        for r in [Role::Operator, Role::Admin, Role::Feed] {
            assert!(r.may(Action::PostReadings), "{r:?}");
        }
        for r in [Role::Leader, Role::Commander, Role::Field] {
            assert!(!r.may(Action::PostReadings), "{r:?}");
        }
        for a in [
            Action::Read,
            Action::CreateIncident,
            Action::UpdateIncident,
            Action::SwitchMode,
            Action::Administer,
        ] {
            assert!(!Role::Feed.may(a), "{a:?}");
        }
    }

    #[test]
    fn operators_commanders_and_admins_silence_the_alarm_for_everyone() {
        for r in [Role::Operator, Role::Commander, Role::Admin] {
            assert!(r.may(Action::AcknowledgeAlarm), "{r:?}");
        }
        for r in [Role::Leader, Role::Field, Role::Feed] {
            assert!(!r.may(Action::AcknowledgeAlarm), "{r:?}");
        }
    }

    #[test]
    fn only_commanders_and_admin_switch_mode() {
        assert!(Role::Commander.may(Action::SwitchMode));
        assert!(Role::Admin.may(Action::SwitchMode));
        assert!(!Role::Operator.may(Action::SwitchMode));
        assert!(!Role::Field.may(Action::SwitchMode));
    }
}
