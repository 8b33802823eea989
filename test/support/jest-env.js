// Every test process (and the workers and CLIs it starts, which inherit its environment) scans with the
// fixture vulnerability DB: offline, with known findings. The product's default is Trivy's real DB (online).
process.env.AIRLOCK_TRIVY_DB = 'fixture';
