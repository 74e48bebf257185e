//! Deployment planner (see issue 5).
