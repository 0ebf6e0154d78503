//! Phase 4: the validated structure (sizes as expressions) through the shared lowering and
//! dependency sort. netdsl-plan's rules already refused synapse-free cycles (phase 3).

use netdsl_plan as np;

use crate::check::Checked;
use crate::model::*;

/// The sorted plan.
pub fn plan(m: &Model, ck: &Checked) -> Result<np::Plan<Size>, Vec<syn::Error>> {
    // The lowering trusts the checks; a panic here would be a macro bug, so it becomes an error.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| np::plan(&ck.structure)));
    match r {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(np::PlanError::Cycle(cycle))) => {
            Err(vec![syn::Error::new(m.name.span(), cycle.to_string())])
        }
        Err(_) => Err(vec![syn::Error::new(
            m.name.span(),
            "internal error in netdsl's plan lowering (please report this network)",
        )]),
    }
}
