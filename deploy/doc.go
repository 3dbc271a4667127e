// Package deploy holds no code: it is the home of postbus's deployment
// files (systemd units, Kubernetes manifests, haproxy configuration,
// example configuration files, the local cluster launcher) and of the test
// that keeps them true to the binary: every manifest parses, every command
// line and configuration file names an existing role and only flags that
// role has, ports agree between flags, containers and Services, and
// haproxy accepts its configuration.
package deploy
