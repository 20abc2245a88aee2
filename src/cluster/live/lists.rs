//! The lists a preflight reads, their URLs, and what a list that may not be read costs.

use crate::cluster::Gap;

/// One cluster-wide list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListSpec {
    /// The resource, as RBAC names it (`resourcequotas`).
    pub resource: &'static str,
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// `/api/v1/nodes`, `/apis/storage.k8s.io/v1/storageclasses`.
    pub path: &'static str,
    /// Extra query parameters (already encoded).
    pub query: &'static str,
    /// The checks that cannot run, or run on less, without it.
    pub affects: &'static str,
    /// A `404` means the API is not served (an old cluster): nothing to read, not an error.
    pub optional: bool,
}

/// Only pods that use a node (DESIGN §4): the API server leaves out finished ones, so a
/// cluster with 100,000 completed Job pods does not send them.
pub const POD_FIELD_SELECTOR: &str = "status.phase!=Succeeded,status.phase!=Failed";

pub const LISTS: [ListSpec; 6] = [
    ListSpec {
        resource: "nodes",
        group: "",
        path: "/api/v1/nodes",
        query: "",
        affects: "placement: no node is known, so no pod can be placed",
        optional: false,
    },
    ListSpec {
        resource: "pods",
        group: "",
        path: "/api/v1/pods",
        query: "fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed",
        affects: "placement: pods already running are not counted, so nodes look emptier than \
                  they are",
        optional: false,
    },
    ListSpec {
        resource: "storageclasses",
        group: "storage.k8s.io",
        path: "/apis/storage.k8s.io/v1/storageclasses",
        query: "",
        affects: "storage: the StorageClasses of the release's volume claims are not checked",
        optional: false,
    },
    ListSpec {
        resource: "resourcequotas",
        group: "",
        path: "/api/v1/resourcequotas",
        query: "",
        affects: "quota: ResourceQuotas are not checked; a namespace quota may refuse pods \
                  that fit on the nodes",
        optional: false,
    },
    ListSpec {
        resource: "limitranges",
        group: "",
        path: "/api/v1/limitranges",
        query: "",
        affects: "admission: LimitRange defaults and limits are not applied to containers, so \
                  requests may be missing and refusals unseen",
        optional: false,
    },
    ListSpec {
        resource: "runtimeclasses",
        group: "node.k8s.io",
        path: "/apis/node.k8s.io/v1/runtimeclasses",
        query: "",
        affects: "placement: the RuntimeClass overhead and scheduling rules of pods that name \
                  one are not applied",
        optional: true,
    },
];

impl ListSpec {
    /// The request for one page.
    pub fn url(&self, limit: u32, continue_token: Option<&str>) -> String {
        let mut url = format!("{}?limit={limit}", self.path);
        if !self.query.is_empty() {
            url.push('&');
            url.push_str(self.query);
        }
        if let Some(token) = continue_token {
            url.push_str("&continue=");
            url.push_str(&percent_encode(token));
        }
        url
    }

    /// `list resourcequotas (cluster-wide)`.
    pub fn permission(&self) -> String {
        format!("list {} (cluster-wide)", self.resource)
    }

    /// The gap for a `403 Forbidden` on this list: what is missing, the RBAC rule that grants
    /// it, and what the server said.
    pub fn forbidden(&self, server_message: &str) -> Gap {
        let message = server_message.trim();
        let said = if message.is_empty() {
            String::new()
        } else {
            format!("; the API server said: {message}")
        };
        Gap {
            what: self.resource.to_string(),
            why: format!(
                "forbidden (403): missing permission `{}`, an RBAC ClusterRole rule \
                 {{apiGroups: [\"{}\"], resources: [\"{}\"], verbs: [\"list\"]}}{said}",
                self.permission(),
                self.group,
                self.resource
            ),
            affects: self.affects.to_string(),
        }
    }
}

/// Percent-encode a query value (RFC 3986: all but unreserved characters).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(resource: &str) -> ListSpec {
        *LISTS.iter().find(|l| l.resource == resource).unwrap()
    }

    #[test]
    fn pods_are_filtered_by_the_server() {
        assert_eq!(
            spec("pods").query,
            format!("fieldSelector={}", percent_encode(POD_FIELD_SELECTOR))
        );
        assert_eq!(
            spec("pods").url(500, None),
            "/api/v1/pods?limit=500&fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed"
        );
    }

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(
            spec("nodes").url(7, Some("eyJ2Ijoi+/=")),
            "/api/v1/nodes?limit=7&continue=eyJ2Ijoi%2B%2F%3D"
        );
    }

    #[test]
    fn every_gap_says_which_check_area_it_weakens() {
        // `area: what is not checked`, so a reader sees at once which part of the verdict is weak.
        for l in LISTS {
            let area = l.affects.split_once(": ").map(|(a, _)| a);
            assert!(
                matches!(area, Some("placement" | "storage" | "quota" | "admission")),
                "{}: {}",
                l.resource,
                l.affects
            );
        }
    }

    #[test]
    fn forbidden_names_the_permission_and_the_rbac_rule() {
        let gap = spec("resourcequotas").forbidden(
            "resourcequotas is forbidden: User \"dev\" cannot list resource \"resourcequotas\" \
             in API group \"\" at the cluster scope",
        );
        assert_eq!(gap.what, "resourcequotas");
        assert!(
            gap.why.starts_with(
                "forbidden (403): missing permission `list resourcequotas (cluster-wide)`, an \
                 RBAC ClusterRole rule {apiGroups: [\"\"], resources: [\"resourcequotas\"], \
                 verbs: [\"list\"]}; the API server said: resourcequotas is forbidden"
            ),
            "{}",
            gap.why
        );
        assert!(gap.affects.starts_with("quota:"));
        let gap = spec("storageclasses").forbidden("");
        assert!(
            gap.why.contains("apiGroups: [\"storage.k8s.io\"]"),
            "{}",
            gap.why
        );
        assert!(!gap.why.contains("said"));
    }
}
