//! The plan of every example network, snapshot-tested as a user would snapshot their own:
//! `insta::assert_snapshot!(Net::PLAN.to_string())`. The example files are compiled here as
//! modules, so these are the very networks the examples run. Under `CI=true` a changed plan
//! fails instead of being written.
#![allow(dead_code)]

#[path = "../examples/comm_channel.rs"]
mod comm_channel;
#[path = "../examples/forum_memristor.rs"]
mod forum_memristor;
#[path = "../examples/integrator.rs"]
mod integrator;
#[path = "../examples/learn_square.rs"]
mod learn_square;
#[path = "../examples/weight_solver.rs"]
mod weight_solver;

#[test]
fn plan_comm_channel() {
    insta::assert_snapshot!(comm_channel::CommChannel::PLAN.to_string());
}

#[test]
fn plan_forum_memristor_stages() {
    insta::assert_snapshot!(forum_memristor::MemristorNet::PLAN.to_string());
}

#[test]
fn plan_forum_memristor_builtin() {
    insta::assert_snapshot!(forum_memristor::BuiltinMemristorNet::PLAN.to_string());
}

#[test]
fn plan_integrator() {
    insta::assert_snapshot!(integrator::Integrator::PLAN.to_string());
}

#[test]
fn plan_learn_square() {
    insta::assert_snapshot!(learn_square::LearnSquare::PLAN.to_string());
}

#[test]
fn plan_weight_solver() {
    insta::assert_snapshot!(weight_solver::WeightSolver::PLAN.to_string());
}

/// The plan is the runtime's too: building each example checks the compiled plan against the
/// one the runtime derives, and the forum network's stages run filter before pulse.
#[test]
fn compiled_plans_match_the_runtime_and_order_the_stages() {
    use forum_memristor::{BuiltinMemristorNet, MemristorNet, Memristors};
    let sim = MemristorNet::new(
        Memristors::plus(100, 100, 1e3),
        Memristors::minus(100, 100, 1e3),
    )
    .build(0.001)
    .expect("the compile-time plan equals the runtime plan");
    let text = sim.plan().to_string();
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("`{s}` not in\n{text}"))
    };
    assert!(pos("memristor_plus = exc.filter") < pos("pulse_plus = exc.pulse"));
    assert!(pos("memristor_minus = inh.filter") < pos("pulse_minus = inh.pulse"));
    let sim = BuiltinMemristorNet::new().build(0.001).expect("builds");
    let text = sim.plan().to_string();
    let filter = text.find("filter      learned").expect("filter op");
    let pulse = text.find("pulse       learned").expect("pulse op");
    assert!(filter < pulse, "{text}");
    assert!(text[pulse..]
        .lines()
        .next()
        .unwrap()
        .contains("updates learned.weights[100x100]"));
}
