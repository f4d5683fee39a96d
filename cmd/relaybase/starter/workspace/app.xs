// Workspace settings. env values are read in stacks as $env.NAME; an environment
// variable RELAYBASE_ENV_NAME overrides one when relaybase starts.
workspace app {
  env = {
    APP_NAME: "My relaybase app"
  }
}
