{{/* Names ------------------------------------------------------------------------ */}}

{{- define "mcpauth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped prefix; short enough that "<prefix>-token-validation" fits in 63. */}}
{{- define "mcpauth.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mcpauth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The four services: values key, component name, suite section, binary, gRPC health name. */}}
{{- define "mcpauth.components" -}}
tokenValidation: {name: token-validation, section: token_validation, binary: mcpauth-token-validation, health: mcpauth.v1.TokenValidation, grpc: true}
scopePolicy: {name: scope-policy, section: scope_policy, binary: mcpauth-scope-policy, health: mcpauth.v1.ScopePolicy, grpc: true}
metadata: {name: metadata, section: metadata, binary: mcpauth-metadata, health: mcpauth.v1.Metadata, grpc: true}
gateway: {name: gateway, section: gateway, binary: mcpauth-gateway, health: "", grpc: false}
{{- if .Values.credentials.enabled }}
credentials: {name: credentials, section: credentials, binary: mcpauth-credentials, health: mcpauth.v1.Credentials, grpc: true}
{{- end }}
{{- end -}}

{{- define "mcpauth.credentialsDir" -}}/etc/mcpauth/credentials{{- end -}}
{{- define "mcpauth.grantKeyDir" -}}/etc/mcpauth/grant{{- end -}}

{{/* Labels: `include "mcpauth.labels" (dict "root" $ "component" "gateway")` */}}
{{- define "mcpauth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcpauth.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "mcpauth.labels" -}}
{{ include "mcpauth.selectorLabels" . }}
helm.sh/chart: {{ include "mcpauth.chart" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: mcpauth
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "mcpauth.componentName" -}}
{{- printf "%s-%s" (include "mcpauth.fullname" .root) .component -}}
{{- end -}}

{{/* In-cluster DNS name of a component's Service. */}}
{{- define "mcpauth.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "mcpauth.componentName" .) .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{- define "mcpauth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mcpauth.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* repository:tag or repository@digest */}}
{{- define "mcpauth.imageRef" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (toString (default .default .image.tag)) -}}
{{- end -}}
{{- end -}}

{{/* Where things are mounted in the mcpauth containers. */}}
{{- define "mcpauth.configDir" -}}/etc/mcpauth/config{{- end -}}
{{- define "mcpauth.configPath" -}}/etc/mcpauth/config/mcpauth.yaml{{- end -}}
{{- define "mcpauth.policyDir" -}}/etc/mcpauth/policy{{- end -}}
{{- define "mcpauth.jwksDir" -}}/etc/mcpauth/jwks{{- end -}}
{{- define "mcpauth.redisSecretDir" -}}/etc/mcpauth/secrets/redis{{- end -}}
{{- define "mcpauth.introspectionSecretDir" -}}/etc/mcpauth/secrets/introspection{{- end -}}
{{- define "mcpauth.dpopSecretDir" -}}/etc/mcpauth/secrets/dpop-nonce{{- end -}}
{{- define "mcpauth.sentinelSecretDir" -}}/etc/mcpauth/secrets/redis-sentinel{{- end -}}
{{/* Certificates: <tlsDir>/internal, gateway, gateway-client-ca, upstream-ca, upstream-client, redis-ca, redis-client. */}}
{{- define "mcpauth.tlsDir" -}}/etc/mcpauth/tls{{- end -}}

{{/* TLS Secrets. A component's internal certificate: (dict "root" $ "key" "tokenValidation" "component" "token-validation"). */}}
{{- define "mcpauth.internalTlsSecret" -}}
{{- default (printf "%s-%s-tls" (include "mcpauth.fullname" .root) .component) (index .root.Values.tls.internal.secrets .key) -}}
{{- end -}}
{{- define "mcpauth.gatewayTlsSecret" -}}
{{- default (printf "%s-gateway-https" (include "mcpauth.fullname" .)) .Values.tls.gateway.secret -}}
{{- end -}}
{{/* The built-in Redis's server certificate. */}}
{{- define "mcpauth.redisTlsSecret" -}}
{{- default (printf "%s-redis-tls" (include "mcpauth.fullname" .)) .Values.redis.tls.secret -}}
{{- end -}}
{{/* The Secret and key holding the CA the suite checks Redis's certificate against; empty: the system's roots. */}}
{{- define "mcpauth.redisCaSecret" -}}
{{- if .Values.redis.tls.enabled -}}
{{- if eq (include "mcpauth.redisMode" .) "builtin" -}}
{{- include "mcpauth.redisTlsSecret" . -}}
{{- else -}}
{{- .Values.redis.tls.caSecret -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- define "mcpauth.redisCaKey" -}}
{{- ternary "ca.crt" .Values.redis.tls.caKey (eq (include "mcpauth.redisMode" .) "builtin") -}}
{{- end -}}

{{/* Redis: "builtin", "external" or "none". */}}
{{- define "mcpauth.redisMode" -}}
{{- if not .Values.redis.enabled -}}none
{{- else if or .Values.redis.external.url .Values.redis.external.sentinel.masterName -}}external
{{- else -}}builtin
{{- end -}}
{{- end -}}

{{/* The Secret holding the Redis password and its key; empty name: no password. */}}
{{- define "mcpauth.redisSecretName" -}}
{{- $mode := include "mcpauth.redisMode" . -}}
{{- if eq $mode "external" -}}
{{- .Values.redis.external.existingSecret -}}
{{- else if and (eq $mode "builtin") .Values.redis.auth.enabled -}}
{{- default (printf "%s-redis" (include "mcpauth.fullname" .)) .Values.redis.auth.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "mcpauth.redisSecretKey" -}}
{{- if eq (include "mcpauth.redisMode" .) "external" -}}
{{- .Values.redis.external.existingSecretPasswordKey -}}
{{- else -}}
{{- .Values.redis.auth.existingSecretPasswordKey -}}
{{- end -}}
{{- end -}}

{{- define "mcpauth.redisUrl" -}}
{{- if eq (include "mcpauth.redisMode" .) "external" -}}
{{- .Values.redis.external.url -}}
{{- else -}}
{{- printf "%s://%s:%v/0" (ternary "rediss" "redis" .Values.redis.tls.enabled) (include "mcpauth.serviceHost" (dict "root" . "component" "redis")) .Values.redis.port -}}
{{- end -}}
{{- end -}}

{{- define "mcpauth.dpopSecretName" -}}
{{- default (printf "%s-dpop-nonce" (include "mcpauth.fullname" .)) .Values.dpopNonceSecret.existingSecret -}}
{{- end -}}

{{- define "mcpauth.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "mcpauth.fullname" .)) .Values.policyFile.existingConfigMap -}}
{{- end -}}

{{/* The validator whose introspection client secret the chart mounts (a dict), if any. */}}
{{- define "mcpauth.introspectionSecret" -}}
{{- range .Values.jwt_validators }}{{ with .introspection }}{{ with .clientSecret }}{{ toYaml . }}{{ end }}{{ end }}{{ end -}}
{{- end -}}

{{/* True ("true") when some validator has an inline JWKS. */}}
{{- define "mcpauth.hasInlineJwks" -}}
{{- range .Values.jwt_validators }}{{ if .jwks }}true{{ end }}{{ end -}}
{{- end -}}

{{/* Drops null values and empty lists/maps, so the services' own defaults apply. */}}
{{- define "mcpauth.compact" -}}
{{- $out := dict -}}
{{- range $k, $v := . -}}
{{- if kindIs "invalid" $v -}}
{{- else if and (or (kindIs "slice" $v) (kindIs "map" $v)) (not $v) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The policy: what lives in policy_file in policy file mode, else in the main file. */}}
{{- define "mcpauth.policyDocument" -}}
{{- $v := .Values -}}
{{- $auth := include "mcpauth.compact" (dict "required_scopes" $v.authorization.required_scopes "scope_strategy" $v.authorization.scope_strategy) | fromYaml -}}
{{- $doc := dict "authorization" $auth "tools" $v.tools "resources" $v.resources "prompts" $v.prompts "policy" $v.policy -}}
{{- include "mcpauth.compact" $doc -}}
{{- end -}}

{{/* The suite's YAML configuration (the main ConfigMap's mcpauth.yaml). */}}
{{- define "mcpauth.suiteConfig" -}}
{{- $root := . -}}
{{- $v := .Values -}}
{{- $cfg := dict "resource" $v.resource "logging" $v.logging -}}
{{- $auth := dict -}}
{{- range $k, $val := $v.authorization -}}
{{- if not (has $k (list "required_scopes" "scope_strategy")) -}}
{{- $_ := set $auth $k $val -}}
{{- end -}}
{{- end -}}
{{- if $v.authorization.dpop_nonce -}}
{{- $_ := set $auth "dpop_nonce_secret_file" (printf "%s/secret" (include "mcpauth.dpopSecretDir" .)) -}}
{{- end -}}
{{- if $v.policyFile.enabled -}}
{{- $_ := set $cfg "policy_file" (printf "%s/%s" (include "mcpauth.policyDir" .) $v.policyFile.key) -}}
{{- else -}}
{{- $policy := include "mcpauth.policyDocument" . | fromYaml -}}
{{- range $k, $val := $policy -}}
{{- if eq $k "authorization" -}}
{{- $auth = merge $auth $val -}}
{{- else -}}
{{- $_ := set $cfg $k $val -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "authorization" (include "mcpauth.compact" $auth | fromYaml) -}}
{{- $validators := list -}}
{{- range $i, $val := $v.jwt_validators -}}
{{- $out := omit $val "jwks" -}}
{{- if $val.jwks -}}
{{- $_ := set $out "jwks_file" (printf "%s/validator-%d.json" (include "mcpauth.jwksDir" $root) $i) -}}
{{- end -}}
{{- if and $val.introspection $val.introspection.clientSecret -}}
{{- $intro := omit $val.introspection "clientSecret" -}}
{{- $_ := set $intro "client_secret_file" (printf "%s/secret" (include "mcpauth.introspectionSecretDir" $root)) -}}
{{- $_ := set $out "introspection" $intro -}}
{{- end -}}
{{- $validators = append $validators (include "mcpauth.compact" $out | fromYaml) -}}
{{- end -}}
{{- if $validators -}}
{{- $_ := set $cfg "jwt_validators" $validators -}}
{{- end -}}
{{- if ne (include "mcpauth.redisMode" .) "none" -}}
{{- $redis := dict "connect_timeout" $v.redis.connect_timeout "command_timeout" $v.redis.command_timeout "pool_size" $v.redis.pool_size -}}
{{- $sentinel := $v.redis.external.sentinel -}}
{{- if $sentinel.masterName -}}
{{- $s := dict "master_name" $sentinel.masterName "addresses" $sentinel.addresses "db" $sentinel.db -}}
{{- if $sentinel.existingSecret -}}
{{- $_ := set $s "password_file" (printf "%s/password" (include "mcpauth.sentinelSecretDir" .)) -}}
{{- end -}}
{{- $_ := set $redis "sentinel" $s -}}
{{- else -}}
{{- $_ := set $redis "url" (include "mcpauth.redisUrl" .) -}}
{{- end -}}
{{- if include "mcpauth.redisSecretName" . -}}
{{- $_ := set $redis "password_file" (printf "%s/password" (include "mcpauth.redisSecretDir" .)) -}}
{{- end -}}
{{- if $v.redis.tls.enabled -}}
{{- $t := dict "reload_interval" $v.tls.reloadInterval -}}
{{- if include "mcpauth.redisCaSecret" . -}}
{{- $_ := set $t "ca_file" (printf "%s/redis-ca/ca.crt" (include "mcpauth.tlsDir" .)) -}}
{{- end -}}
{{- if $v.redis.tls.clientCertSecret -}}
{{- $_ := set $t "cert_file" (printf "%s/redis-client/tls.crt" (include "mcpauth.tlsDir" .)) -}}
{{- $_ := set $t "key_file" (printf "%s/redis-client/tls.key" (include "mcpauth.tlsDir" .)) -}}
{{- end -}}
{{- with $v.redis.tls.serverName -}}
{{- $_ := set $t "server_name" . -}}
{{- end -}}
{{- $_ := set $redis "tls" $t -}}
{{- end -}}
{{- $_ := set $cfg "redis" $redis -}}
{{- end -}}
{{- $tlsDir := include "mcpauth.tlsDir" . -}}
{{- $reload := $v.tls.reloadInterval -}}
{{- range $key, $c := include "mcpauth.components" . | fromYaml -}}
{{- $cv := index $v $key -}}
{{- $host := include "mcpauth.serviceHost" (dict "root" $root "component" $c.name) -}}
{{- /* Every interface of the pod, IPv4 (the metrics endpoint takes no IPv6 address). */ -}}
{{- $section := dict "listen" (printf "0.0.0.0:%v" $cv.port) "metrics_listen" (printf "0.0.0.0:%v" $cv.metricsPort) "address" (printf "%s:%v" $host $cv.service.port) "shutdown_grace" $cv.shutdownGrace -}}
{{- if and $v.tls.internal.enabled $c.grpc -}}
{{- $server := dict "cert_file" (printf "%s/internal/tls.crt" $tlsDir) "key_file" (printf "%s/internal/tls.key" $tlsDir) "reload_interval" $reload -}}
{{- $client := dict "ca_file" (printf "%s/internal/ca.crt" $tlsDir) "reload_interval" $reload -}}
{{- if $v.tls.internal.mutual -}}
{{- $_ := set $server "client_ca_file" (printf "%s/internal/ca.crt" $tlsDir) -}}
{{- $_ := set $client "cert_file" (printf "%s/internal/tls.crt" $tlsDir) -}}
{{- $_ := set $client "key_file" (printf "%s/internal/tls.key" $tlsDir) -}}
{{- end -}}
{{- $_ := set $section "tls" $server -}}
{{- $_ := set $section "client_tls" $client -}}
{{- $_ := set $section "health_listen" (printf "0.0.0.0:%v" $v.tls.internal.healthPort) -}}
{{- end -}}
{{- if eq $key "gateway" -}}
{{- if $v.tls.gateway.enabled -}}
{{- $server := dict "cert_file" (printf "%s/gateway/tls.crt" $tlsDir) "key_file" (printf "%s/gateway/tls.key" $tlsDir) "reload_interval" $reload -}}
{{- if $v.tls.gateway.clientCaSecret -}}
{{- $_ := set $server "client_ca_file" (printf "%s/gateway-client-ca/ca.crt" $tlsDir) -}}
{{- end -}}
{{- $_ := set $section "tls" $server -}}
{{- end -}}
{{- $routes := list -}}
{{- range $route := $cv.routes -}}
{{- $r := deepCopy $route -}}
{{- if and (hasPrefix "https://" (lower ($route.upstream | default ""))) (not $route.upstream_tls) (or $v.tls.upstream.caSecret $v.tls.upstream.clientCertSecret) -}}
{{- $u := dict "reload_interval" $reload -}}
{{- if $v.tls.upstream.caSecret -}}
{{- $_ := set $u "ca_file" (printf "%s/upstream-ca/ca.crt" $tlsDir) -}}
{{- end -}}
{{- if $v.tls.upstream.clientCertSecret -}}
{{- $_ := set $u "cert_file" (printf "%s/upstream-client/tls.crt" $tlsDir) -}}
{{- $_ := set $u "key_file" (printf "%s/upstream-client/tls.key" $tlsDir) -}}
{{- end -}}
{{- $_ := set $r "upstream_tls" $u -}}
{{- end -}}
{{- $routes = append $routes $r -}}
{{- end -}}
{{- $_ := set $section "routes" $routes -}}
{{- $doors := $cv.frontDoors -}}
{{- if $doors.extAuthz.enabled -}}
{{- $_ := set $section "ext_authz" (dict "listen" (printf "0.0.0.0:%v" $doors.extAuthz.port)) -}}
{{- end -}}
{{- if $doors.forwardAuth.enabled -}}
{{- $_ := set $section "forward_auth" (dict "path" $doors.forwardAuth.path) -}}
{{- end -}}
{{- if ne ($doors.unseenBody | default "refuse") "refuse" -}}
{{- $_ := set $section "unseen_body" $doors.unseenBody -}}
{{- end -}}
{{- if $v.credentials.enabled -}}
{{- $_ := set $section "credentials" (dict "grant_key_file" (printf "%s/grant-key.json" (include "mcpauth.grantKeyDir" $root)) "grant_ttl" $v.credentials.grantTtl "grant_max_uses" $v.credentials.grantMaxUses) -}}
{{- end -}}
{{- end -}}
{{- if eq $key "credentials" -}}
{{- $dir := include "mcpauth.credentialsDir" $root -}}
{{- $_ := set $section "egress_listen" (printf "0.0.0.0:%v" $cv.egressPort) -}}
{{- $_ := set $section "egress_address" (printf "%s:%v" $host $cv.service.egressPort) -}}
{{- $_ := set $section "key_files" (list (printf "%s/service-key.json" $dir)) -}}
{{- $_ := set $section "record_secret_file" (printf "%s/record-secret" $dir) -}}
{{- $_ := set $section "grant_keys_file" (printf "%s/grant-keys.json" $dir) -}}
{{- end -}}
{{- $_ := set $cfg $c.section (merge $section (deepCopy $cv.config)) -}}
{{- end -}}
{{- /* In a fixed, readable order rather than toYaml's alphabetical one. */ -}}
{{- range $k := list "resource" "logging" "authorization" "jwt_validators" "policy_file" "tools" "resources" "prompts" "policy" "redis" "token_validation" "scope_policy" "metadata" "gateway" "credentials" -}}
{{- if hasKey $cfg $k }}
{{ toYaml (dict $k (index $cfg $k)) }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The first route's path and its protected resource metadata path (RFC 9728 §3.1). */}}
{{- define "mcpauth.mcpPath" -}}
{{- (first .Values.gateway.routes).path | default "/mcp" -}}
{{- end -}}
{{- define "mcpauth.metadataUrlPath" -}}
{{- $route := first .Values.gateway.routes -}}
{{- $resource := $route.resource | default .Values.resource -}}
{{- $path := (urlParse $resource).path | trimSuffix "/" -}}
{{- printf "%s%s" .Values.authorization.metadata_path $path -}}
{{- end -}}

{{/* terminationGracePeriodSeconds of a component: longer than preStop pause + drain. */}}
{{- define "mcpauth.terminationGrace" -}}
{{- $minimum := add (int .v.preStopSleepSeconds) (int (ceil .v.shutdownGrace)) -}}
{{- if kindIs "invalid" .v.terminationGracePeriodSeconds -}}
{{- add $minimum 5 -}}
{{- else if le (int .v.terminationGracePeriodSeconds) $minimum -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be greater than preStopSleepSeconds + shutdownGrace (%v), or pods are killed while still draining" .key .v.terminationGracePeriodSeconds $minimum) -}}
{{- else -}}
{{- .v.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}

{{/* Checks values that the schema cannot express well, with messages that say what to do. */}}
{{- define "mcpauth.validate" -}}
{{- $v := .Values -}}
{{- range $i, $val := $v.jwt_validators -}}
{{- $sources := 0 -}}
{{- range $k := list "jwks_uri" "jwks_file" "jwks" -}}{{- if index $val $k -}}{{- $sources = add1 $sources -}}{{- end -}}{{- end -}}
{{- if gt $sources 1 -}}
{{- fail (printf "jwt_validators[%d] (%s): set one of jwks_uri, jwks_file or jwks, not several" $i $val.issuer) -}}
{{- end -}}
{{- if and $val.jwks (not (or (kindIs "map" $val.jwks) (kindIs "string" $val.jwks))) -}}
{{- fail (printf "jwt_validators[%d].jwks: an inline JWKS object or its JSON text" $i) -}}
{{- end -}}
{{- if kindIs "string" $val.jwks -}}
{{- if not (hasKey (fromJson $val.jwks) "keys") -}}
{{- fail (printf "jwt_validators[%d].jwks: not a JWKS (JSON with a \"keys\" array)" $i) -}}
{{- end -}}
{{- else if and $val.jwks (not (hasKey $val.jwks "keys")) -}}
{{- fail (printf "jwt_validators[%d].jwks: not a JWKS (an object with a \"keys\" array)" $i) -}}
{{- end -}}
{{- end -}}
{{- $introspecting := 0 -}}
{{- range $i, $val := $v.jwt_validators -}}
{{- with $val.introspection -}}
{{- $introspecting = add1 $introspecting -}}
{{- if not (or .client_secret_file (and .clientSecret .clientSecret.existingSecret)) -}}
{{- fail (printf "jwt_validators[%d].introspection.clientSecret.existingSecret: name the Secret holding the introspection client's secret (or set client_secret_file to a file you mount)" $i) -}}
{{- end -}}
{{- if and .client_secret_file .clientSecret -}}
{{- fail (printf "jwt_validators[%d].introspection: set clientSecret or client_secret_file, not both" $i) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if gt $introspecting 1 -}}
{{- fail "jwt_validators: only one validator may have introspection (an opaque token names no issuer; sending it to several authorization servers would show it to all of them)" -}}
{{- end -}}
{{- if $v.credentials.enabled -}}
{{- if not (and $v.credentials.keySecret.existingSecret $v.credentials.recordSecret.existingSecret $v.credentials.grantKeySecret.existingSecret) -}}
{{- fail "credentials.enabled needs credentials.keySecret.existingSecret (the service's private key: mcpauth credentials keygen), credentials.recordSecret.existingSecret (32+ random bytes) and credentials.grantKeySecret.existingSecret (the gateway's grant key and its public JWKS): see helm/mcpauth/README.md" -}}
{{- end -}}
{{- end -}}
{{- $doors := $v.gateway.frontDoors -}}
{{- range $i, $route := $v.gateway.routes -}}
{{- if and (not $route.upstream) (not (or $doors.extAuthz.enabled $doors.forwardAuth.enabled)) -}}
{{- fail (printf "gateway.routes[%d].upstream is required unless gateway.frontDoors.extAuthz or .forwardAuth is enabled (authorizer mode)" $i) -}}
{{- end -}}
{{- end -}}
{{- $anyDoor := or $doors.extAuthz.enabled $doors.forwardAuth.enabled -}}
{{- if and $anyDoor (not $v.gateway.config.trusted_proxies) -}}
{{- fail "gateway.frontDoors needs gateway.config.trusted_proxies: the addresses (CIDRs) of the proxies that ask the gateway (Envoy/Istio pods for extAuthz, nginx/Traefik/Caddy for forwardAuth)" -}}
{{- end -}}
{{- if and $anyDoor (eq (include "mcpauth.redisMode" .) "none") (or (gt (int $v.gateway.replicas) 1) $v.gateway.autoscaling.enabled) -}}
{{- fail "gateway.frontDoors with several gateway replicas needs Redis: a front door binds a session to its first user, and without a shared store each replica would bind it on its own (enable redis, or run gateway.replicas: 1)" -}}
{{- end -}}
{{- if and (gt (len $v.gateway.routes) 1) (not (first $v.gateway.routes).resource) -}}
{{- fail "gateway.routes: with several routes each needs its own resource (canonical URI)" -}}
{{- end -}}
{{- if and $v.redis.external.url $v.redis.external.sentinel.masterName -}}
{{- fail "redis.external: set url or sentinel.masterName, not both (the sentinels name the master)" -}}
{{- end -}}
{{- if and $v.redis.external.sentinel.masterName (not $v.redis.external.sentinel.addresses) -}}
{{- fail "redis.external.sentinel.addresses: list the sentinels (host:port) that watch the master" -}}
{{- end -}}
{{- if and $v.redis.tls.enabled (hasPrefix "redis://" $v.redis.external.url) -}}
{{- fail "redis.tls.enabled with a redis:// url: use rediss:// for TLS" -}}
{{- end -}}
{{- if and $v.tls.certManager.enabled (not $v.tls.certManager.issuerRef.name) -}}
{{- fail "tls.certManager.issuerRef.name: name the cert-manager Issuer or ClusterIssuer that signs the certificates" -}}
{{- end -}}
{{- if and (eq (include "mcpauth.redisMode" .) "external") $v.redis.tls.secret -}}
{{- fail "redis.tls.secret is the built-in Redis's certificate; for an external Redis set redis.tls.caSecret (and clientCertSecret)" -}}
{{- end -}}
{{- if and $v.redis.external.url (not $v.redis.enabled) -}}
{{- fail "redis.external.url is set but redis.enabled is false: enable redis to use it, or clear the URL" -}}
{{- end -}}
{{- if and $v.policyFile.existingConfigMap (not $v.policyFile.enabled) -}}
{{- fail "policyFile.existingConfigMap is set but policyFile.enabled is false" -}}
{{- end -}}
{{- if and $v.policyFile.existingConfigMap (or $v.tools $v.resources $v.prompts $v.authorization.required_scopes) -}}
{{- fail "policyFile.existingConfigMap holds the policy: leave tools, resources, prompts and authorization.required_scopes empty here" -}}
{{- end -}}
{{- range $key, $c := include "mcpauth.components" . | fromYaml -}}
{{- $cv := index $v $key -}}
{{- $_ := include "mcpauth.terminationGrace" (dict "key" $key "v" $cv) -}}
{{- if and $cv.podDisruptionBudget.enabled (not (kindIs "invalid" $cv.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" $cv.podDisruptionBudget.maxUnavailable)) -}}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable, not both (set the other to null)" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
