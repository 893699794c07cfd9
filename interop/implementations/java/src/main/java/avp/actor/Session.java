package avp.actor;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The client actor's state and operations (docs/actor-contract.md): one identity, a token cache per
 * server, and per repository the data keys held (current and former), the last manifest, pinned
 * member keys and the highest (payloadVersion, keyEpoch) seen. Real crypto throughout.
 */
public final class Session {
  private static final int MAX_UPDATE_ATTEMPTS = 5;
  private static final long TOKEN_MARGIN_MILLIS = 30_000;

  private record Member(String ed, String x, Envelope.WrappedKey wrapped, long keyEpoch, Object binding) {}

  /** share is shareRefreshTokens as served (null when absent). */
  private record Manifest(String repoId, long payloadVersion, long keyEpoch, List<Member> members, Object share) {
    List<String> ids() {
      return members.stream().map(Member::ed).toList();
    }
  }

  private record RepoState(Manifest manifest, byte[] dataKey, List<Object> alts, long highVersion, long highEpoch, Map<String, String> pinned) {}

  private record Defences(boolean requireBinding, String issuerJwksUrl) {
    static Defences of(Map<String, Object> args) {
      return new Defences(Boolean.TRUE.equals(args.get("requireBinding")), Json.str(args, "issuerJwksUrl"));
    }
  }

  private record Token(String token, long expiresAt) {}

  private final Transport transport = new Transport();
  private KeyPair ed;
  private byte[] x;
  private String memberId;
  private String xPublic;
  private final Map<String, Token> tokens = new HashMap<>();
  private final Map<String, RepoState> repos = new HashMap<>();
  /** repoId -> every data key ever held (what open_envelope may try). */
  private final Map<String, List<byte[]>> held = new HashMap<>();
  /** JWKS URL -> its Ed25519 keys. */
  private final Map<String, List<byte[]>> issuerKeys = new HashMap<>();

  public Session() {
    setIdentity(Map.of());
  }

  static ClientError badRequest(String message) {
    return new ClientError("bad_request", message);
  }

  static ClientError protocolError(String message) {
    return new ClientError("protocol_error", message);
  }

  static String argString(Map<String, Object> args, String name) {
    String s = Json.str(args, name);
    if (s == null || s.isEmpty()) throw badRequest("args." + name + " must be a non-empty string");
    return s;
  }

  static List<Object> altList(Object v, String name) {
    List<Object> list = Json.list(v);
    if (list == null || !list.stream().allMatch(a -> Json.obj(a) != null)) throw badRequest(name + " must be an array of AltAccount objects");
    return list;
  }

  /**
   * The refresh-token policy (spec §5.1): on only for an explicit true; off strips refreshToken and
   * expiresAt on encrypt and decrypt. An older payload's single `ban` becomes the `bans` map.
   */
  static List<Object> applyPolicy(List<Object> alts, Object share) {
    List<Object> out = new ArrayList<>();
    for (Object a : alts) {
      Map<String, Object> alt = new LinkedHashMap<>(Json.obj(a));
      if (alt.containsKey("ban") && !alt.containsKey("bans")) {
        Object ban = alt.remove("ban");
        alt.put("bans", ban == null ? null : Json.of("unknown", ban));
      }
      if (!Boolean.TRUE.equals(share)) {
        alt.remove("refreshToken");
        alt.remove("expiresAt");
      }
      out.add(alt);
    }
    return out;
  }

  private static Manifest parseManifest(Object v, String repoId) {
    Map<String, Object> m = Json.obj(v);
    List<Object> members = m == null ? null : Json.list(m.get("members"));
    if (members == null) throw protocolError("manifest is malformed");
    if (!repoId.equals(Json.str(m, "repoId"))) throw protocolError("manifest names another repository");
    long pv = Envelope.counter(m.get("payloadVersion"), "manifest.payloadVersion");
    long ke = Envelope.counter(m.get("keyEpoch"), "manifest.keyEpoch");
    List<Member> out = new ArrayList<>();
    for (Object raw : members) {
      Map<String, Object> e = Json.obj(raw);
      Envelope.WrappedKey wk = e == null ? null : Envelope.WrappedKey.of(e.get("wrappedDataKey"));
      if (wk == null || Json.str(e, "ed25519PublicKey") == null || Json.str(e, "x25519PublicKey") == null) {
        throw protocolError("manifest member entry is malformed");
      }
      long epoch = Envelope.counter(e.get("keyEpoch"), "member.keyEpoch");
      out.add(new Member(Json.str(e, "ed25519PublicKey"), Json.str(e, "x25519PublicKey"), wk, epoch, e.get("keyBindingSig")));
    }
    return new Manifest(repoId, pv, ke, out, m.get("shareRefreshTokens"));
  }

  private static String repoKey(String server, String repoId) {
    return server + "\n" + repoId;
  }

  private static String hostOf(String server) {
    try {
      String authority = URI.create(server).getRawAuthority();
      if (authority != null && !authority.isEmpty()) return authority;
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw badRequest("server must be a base URL such as http://127.0.0.1:8787");
  }

  // --- identity and authentication -------------------------------------------------------------------

  private static byte[] optionalKey(Map<String, Object> args, String name) {
    if (!args.containsKey(name)) return null;
    byte[] b;
    try {
      b = B64.decodeStd(Json.str(args, name));
    } catch (ClientError e) {
      throw new ClientError("invalid_encoding", name + " must be strict standard base64");
    }
    if (b.length != 32) throw new ClientError("invalid_key", name + " must be 32 bytes");
    return b;
  }

  public Map<String, Object> setIdentity(Map<String, Object> args) {
    byte[] seed = optionalKey(args, "ed25519SeedB64");
    byte[] xRaw = optionalKey(args, "x25519PrivateB64");
    ed = Keys.pair(true, seed == null ? Envelope.random(32) : seed);
    x = xRaw == null ? Envelope.random(32) : xRaw;
    memberId = B64.encodeStd(Keys.rawPublic(ed.getPublic()));
    xPublic = B64.encodeStd(Keys.rawPublic(Keys.pair(false, x).getPublic()));
    tokens.clear();
    repos.clear();
    held.clear();
    issuerKeys.clear();
    return Json.of("ed25519PublicKey", memberId, "x25519PublicKey", xPublic,
        "inviteToken", Federation.encodeInvite(new Federation.Invite(memberId, xPublic)));
  }

  public Map<String, Object> authenticate(Map<String, Object> args) {
    return Json.of("expiresAt", login(argString(args, "server")).expiresAt());
  }

  private Token login(String server) {
    Map<String, Object> ch = transport.request("POST", server + "/api/auth/keypair/challenge", Json.of("ed25519PublicKey", memberId), null);
    String nonceText = Json.str(ch, "nonce");
    byte[] nonce;
    try {
      nonce = B64.decodeStd(nonceText);
    } catch (ClientError e) {
      throw protocolError("challenge answer has no base64 nonce");
    }
    Map<String, Object> t = transport.request("POST", server + "/api/auth/keypair/token", Json.of(
        "ed25519PublicKey", memberId, "nonce", nonceText, "signature", B64.encodeStd(Ed25519Strict.sign(ed, nonce))), null);
    String token = Json.str(t, "token");
    if (token == null) throw protocolError("token answer has no token");
    Token got = new Token(token, Envelope.counter(t.get("expiresAt"), "expiresAt"));
    tokens.put(server, got);
    return got;
  }

  private String token(String server) {
    Token cached = tokens.get(server);
    if (cached != null && cached.expiresAt() - TOKEN_MARGIN_MILLIS > System.currentTimeMillis()) return cached.token();
    return login(server).token();
  }

  /** A vault request; a 401 on a cached token means it expired early: log in again, once. */
  private Map<String, Object> vault(String server, String method, String path, Object body) {
    boolean wasCached = tokens.containsKey(server);
    try {
      return transport.request(method, server + path, body, token(server));
    } catch (ClientError e) {
      if (!wasCached || e.status == null || e.status != 401) throw e;
      tokens.remove(server);
      return transport.request(method, server + path, body, token(server));
    }
  }

  // --- repositories ----------------------------------------------------------------------------------

  private Map<String, Object> entryFor(byte[] dataKey, String edKey, String xKey, Object binding, long keyEpoch) {
    byte[] xRaw;
    try {
      xRaw = B64.decodeStd(xKey, 32);
    } catch (ClientError e) {
      throw new ClientError("invalid_key", "member X25519 key is not a base64 32-byte key");
    }
    Map<String, Object> entry = Json.of("ed25519PublicKey", edKey, "x25519PublicKey", xKey,
        "wrappedDataKey", Envelope.wrap(dataKey, xRaw, null, null).toJson(), "keyEpoch", keyEpoch);
    if (binding instanceof String sig) entry.put("keyBindingSig", sig);
    return entry;
  }

  private static Map<String, Object> seal(byte[] dataKey, String repoId, long pv, long ke, List<Object> alts) {
    byte[] iv = Envelope.random(12);
    byte[] plaintext = Json.write(Json.of("alts", alts, "payloadVersion", pv)).getBytes(StandardCharsets.UTF_8);
    byte[] ct = Envelope.encryptPayload(dataKey, repoId, pv, ke, plaintext, iv);
    return Json.of("repoId", repoId, "payloadVersion", pv, "keyEpoch", ke, "iv", B64.encodeStd(iv), "ciphertext", B64.encodeStd(ct));
  }

  private void hold(String repoId, byte[] key) {
    List<byte[]> keys = held.computeIfAbsent(repoId, k -> new ArrayList<>());
    if (keys.stream().noneMatch(k -> Arrays.equals(k, key))) keys.add(key);
  }

  private RepoState remember(String server, Manifest m, byte[] dataKey, List<Object> alts) {
    RepoState prev = repos.get(repoKey(server, m.repoId()));
    Map<String, String> pinned = prev == null ? new HashMap<>() : prev.pinned();
    for (Member e : m.members()) pinned.putIfAbsent(e.ed(), e.x());
    RepoState state = new RepoState(m, dataKey, alts,
        Math.max(prev == null ? 0 : prev.highVersion(), m.payloadVersion()),
        Math.max(prev == null ? 0 : prev.highEpoch(), m.keyEpoch()), pinned);
    repos.put(repoKey(server, m.repoId()), state);
    hold(m.repoId(), dataKey);
    return state;
  }

  public Map<String, Object> createRepo(Map<String, Object> args) {
    String server = argString(args, "server");
    String host = hostOf(server);
    String repoId = args.containsKey("repoId") ? argString(args, "repoId") : UUID.randomUUID().toString();
    boolean hasShare = args.containsKey("shareRefreshTokens");
    Object share = args.get("shareRefreshTokens");
    if (hasShare && !(share instanceof Boolean)) throw badRequest("args.shareRefreshTokens must be a boolean");
    List<Object> alts = applyPolicy(altList(args.getOrDefault("alts", List.of()), "args.alts"), share);
    byte[] dataKey = Envelope.random(32);
    Map<String, Object> manifest = Json.of("repoId", repoId, "schemeId", Envelope.SCHEME_ID, "keyEpoch", 0, "payloadVersion", 1,
        "members", List.of(entryFor(dataKey, memberId, xPublic, args.get("keyBindingSig"), 0)));
    if (hasShare) manifest.put("shareRefreshTokens", share);
    Map<String, Object> answer = vault(server, "POST", "/v1/repos", Json.of("manifest", manifest, "initialEnvelope", seal(dataKey, repoId, 1, 0, alts)));
    remember(server, parseManifest(answer, repoId), dataKey, alts);
    return Json.of("repoId", repoId, "address", Federation.formatAddress(host, repoId), "payloadVersion", 1, "keyEpoch", 0);
  }

  private record Fetched(RepoState state, boolean unchanged) {}

  /** Pull, check everything the client can check, unwrap and decrypt. */
  private Fetched fetchState(String server, String repoId) {
    RepoState prev = repos.get(repoKey(server, repoId));
    long known = prev == null ? 0 : prev.manifest().payloadVersion();
    Map<String, Object> answer = vault(server, "POST", Transport.repoPath(repoId) + "/pull", Json.of("repoId", repoId, "knownPayloadVersion", known));
    Manifest m = parseManifest(answer.get("manifest"), repoId);
    if (prev != null && (m.payloadVersion() < prev.highVersion() || m.keyEpoch() < prev.highEpoch())) {
      throw new ClientError("rollback_detected", "the server served an older payloadVersion or keyEpoch than already seen");
    }
    for (Member e : m.members()) {
      String pin = prev == null ? null : prev.pinned().get(e.ed());
      if (pin != null && !pin.equals(e.x())) throw new ClientError("key_changed", "a known member's X25519 key changed");
    }
    if (Boolean.TRUE.equals(answer.get("unchanged"))) {
      // Only the version this client holds can be unchanged (versions start at 1, known at 0).
      if (prev == null || m.payloadVersion() != known) throw protocolError("'unchanged' for a version this client does not hold");
      return new Fetched(remember(server, m, prev.dataKey(), prev.alts()), true);
    }
    Map<String, Object> env = Json.obj(answer.get("envelope"));
    if (Json.str(env, "iv") == null || Json.str(env, "ciphertext") == null) throw protocolError("pull answer has no envelope");
    Member mine = m.members().stream().filter(e -> e.ed().equals(memberId)).findFirst()
        .orElseThrow(() -> protocolError("this identity is not in the served roster"));
    byte[] dataKey = Envelope.unwrap(mine.wrapped(), x);
    byte[] iv = B64.decodeStd(Json.str(env, "iv"));
    byte[] ct = B64.decodeStd(Json.str(env, "ciphertext"));
    // The AAD is what this client expects (its repoId, the manifest's counters): a replayed or
    // relabelled envelope fails authentication instead of being believed.
    byte[] pt = Envelope.decryptPayload(dataKey, repoId, m.payloadVersion(), m.keyEpoch(), iv, ct);
    return new Fetched(remember(server, m, dataKey, parsePayload(pt, m.share())), false);
  }

  private static List<Object> parsePayload(byte[] pt, Object share) {
    Map<String, Object> doc;
    try {
      doc = Json.obj(Json.parse(new String(pt, StandardCharsets.UTF_8)));
    } catch (Json.SyntaxError e) {
      doc = null;
    }
    if (doc == null) throw protocolError("decrypted payload is not a JSON object");
    try {
      return applyPolicy(altList(doc.get("alts"), "payload.alts"), share);
    } catch (ClientError e) {
      throw protocolError("decrypted payload has no alt list");
    }
  }

  public Map<String, Object> pull(Map<String, Object> args) {
    Fetched f = fetchState(argString(args, "server"), argString(args, "repoId"));
    Manifest m = f.state().manifest();
    return Json.of("unchanged", f.unchanged(), "payloadVersion", m.payloadVersion(), "keyEpoch", m.keyEpoch(),
        "alts", f.state().alts(), "members", m.ids(), "shareRefreshTokens", m.share());
  }

  private Map<String, Object> pushOnce(String server, RepoState state, List<Object> alts) {
    Manifest m = state.manifest();
    long next = Envelope.counter(m.payloadVersion() + 1, "payloadVersion");
    List<Object> clean = applyPolicy(alts, m.share());
    Map<String, Object> answer = vault(server, "POST", Transport.repoPath(m.repoId()) + "/push", Json.of(
        "repoId", m.repoId(), "envelope", seal(state.dataKey(), m.repoId(), next, m.keyEpoch(), clean),
        "expectedPayloadVersion", m.payloadVersion()));
    boolean accepted = Boolean.TRUE.equals(answer.get("accepted"));
    Map<String, Object> result = Json.of("accepted", accepted, "conflict", Boolean.TRUE.equals(answer.get("conflict")),
        "payloadVersion", Envelope.counter(answer.get("payloadVersion"), "payloadVersion"),
        "keyEpoch", Envelope.counter(answer.get("keyEpoch"), "keyEpoch"));
    if (accepted) {
      remember(server, new Manifest(m.repoId(), next, m.keyEpoch(), m.members(), m.share()), state.dataKey(), clean);
    }
    return result;
  }

  public Map<String, Object> push(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    List<Object> alts = altList(args.get("alts"), "args.alts");
    RepoState state = repos.get(repoKey(server, repoId));
    if (state == null) state = fetchState(server, repoId).state();
    return pushOnce(server, state, alts);
  }

  public Map<String, Object> update(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    List<Object> add = altList(args.get("addAlts"), "args.addAlts");
    for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      RepoState state = fetchState(server, repoId).state();
      List<Object> alts = new ArrayList<>(state.alts());
      alts.addAll(add);
      Map<String, Object> r = pushOnce(server, state, alts);
      if (Boolean.TRUE.equals(r.get("accepted"))) {
        return Json.of("payloadVersion", r.get("payloadVersion"), "keyEpoch", r.get("keyEpoch"), "attempts", attempt);
      }
    }
    throw new ClientError("conflict", "push still conflicted after " + MAX_UPDATE_ATTEMPTS + " attempts");
  }

  public Map<String, Object> addMember(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    Federation.Invite joiner = Federation.decodeInvite(argString(args, "inviteToken"));
    Object binding = args.get("keyBindingSig") instanceof String s ? s : null;
    RepoState state = fetchState(server, repoId).state();
    checkBinding(server, joiner.ed25519PublicKey(), joiner.x25519PublicKey(), binding, Defences.of(args));
    Map<String, Object> entry = entryFor(state.dataKey(), joiner.ed25519PublicKey(), joiner.x25519PublicKey(), binding, state.manifest().keyEpoch());
    Manifest served = parseManifest(vault(server, "POST", Transport.repoPath(repoId) + "/add-member", Json.of("repoId", repoId, "member", entry)), repoId);
    remember(server, served, state.dataKey(), state.alts());
    return Json.of("members", served.ids());
  }

  public Map<String, Object> removeMember(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    String removed = argString(args, "memberId");
    RepoState state = fetchState(server, repoId).state();
    Manifest m = state.manifest();
    List<Member> remaining = m.members().stream().filter(e -> !e.ed().equals(removed)).toList();
    if (remaining.size() == m.members().size()) throw new ClientError("not_found", "no such member in the served roster");
    Defences d = Defences.of(args);
    for (Member e : remaining) if (!e.ed().equals(memberId)) checkBinding(server, e.ed(), e.x(), e.binding(), d);
    byte[] newKey = Envelope.random(32);
    long epoch = Envelope.counter(m.keyEpoch() + 1, "keyEpoch");
    long version = Envelope.counter(m.payloadVersion() + 1, "payloadVersion");
    List<Object> rewrapped = new ArrayList<>();
    for (Member e : remaining) rewrapped.add(entryFor(newKey, e.ed(), e.x(), e.binding(), epoch));
    Manifest served = parseManifest(vault(server, "POST", Transport.repoPath(repoId) + "/remove-member", Json.of(
        "repoId", repoId, "removedMemberId", removed, "rotatedEnvelope", seal(newKey, repoId, version, epoch, state.alts()),
        "rewrappedMembers", rewrapped, "newKeyEpoch", epoch)), repoId);
    remember(server, served, newKey, state.alts());
    return Json.of("payloadVersion", served.payloadVersion(), "keyEpoch", served.keyEpoch(), "members", served.ids());
  }

  public Map<String, Object> fetchMember(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    String member = argString(args, "memberId");
    Map<String, Object> entry = vault(server, "GET", Transport.repoPath(repoId) + "/member/" + Transport.escapeSegment(member), null);
    String xKey = Json.str(entry, "x25519PublicKey");
    if (!member.equals(Json.str(entry, "ed25519PublicKey")) || xKey == null) throw protocolError("served entry is for another member");
    RepoState state = repos.get(repoKey(server, repoId));
    String pin = state == null ? null : state.pinned().get(member);
    if (pin != null && !pin.equals(xKey)) throw new ClientError("key_changed", "the member's X25519 key changed");
    checkBinding(server, member, xKey, entry.get("keyBindingSig"), Defences.of(args));
    return entry;
  }

  public Map<String, Object> keyBinding(Map<String, Object> args) {
    Map<String, Object> r = vault(argString(args, "server"), "POST", "/v1/key-binding", Json.of("x25519PublicKey", xPublic));
    return Json.of("keyBindingSig", r.get("keyBindingSig"), "issuerJwksUrl", r.get("issuerJwksUrl"));
  }

  public Map<String, Object> locator(Map<String, Object> args) {
    String server = argString(args, "server");
    String repoId = argString(args, "repoId");
    String host = hostOf(server);
    RepoState state = repos.get(repoKey(server, repoId));
    Long epoch = state == null ? null : state.manifest().keyEpoch();
    String token = Federation.encodeLocator(new Federation.Locator(host, repoId, Envelope.SCHEME_ID, epoch, null));
    return Json.of("token", token, "address", Federation.formatAddress(host, repoId));
  }

  public Map<String, Object> join(Map<String, Object> args) {
    Federation.Locator loc = Federation.decodeLocator(argString(args, "locatorToken"));
    String server = "http://" + loc.host();
    RepoState state = fetchState(server, loc.repoId()).state();
    return Json.of("server", server, "repoId", loc.repoId(), "payloadVersion", state.manifest().payloadVersion(),
        "keyEpoch", state.manifest().keyEpoch(), "alts", state.alts());
  }

  public Map<String, Object> openEnvelope(Map<String, Object> args) {
    String repoId = argString(args, "repoId");
    Map<String, Object> env = Json.obj(args.get("envelope"));
    if (env == null) throw badRequest("args.envelope must be an EncryptedEnvelope");
    byte[] iv = B64.decodeStd(Json.str(env, "iv"));
    byte[] ct = B64.decodeStd(Json.str(env, "ciphertext"));
    Object share = repos.values().stream().filter(s -> s.manifest().repoId().equals(repoId)).map(s -> s.manifest().share())
        .reduce(null, (a, b) -> b);
    for (byte[] key : held.getOrDefault(repoId, List.of())) {
      byte[] pt;
      try {
        pt = Envelope.decryptPayload(key, repoId, env.get("payloadVersion"), env.get("keyEpoch"), iv, ct);
      } catch (ClientError e) {
        if (e.code.equals("invalid_tag")) continue;
        throw e;
      }
      return Json.of("alts", parsePayload(pt, share));
    }
    throw new ClientError("invalid_tag", "no data key this actor holds or held opens the envelope");
  }

  // --- key bindings ----------------------------------------------------------------------------------

  private void checkBinding(String server, String edKey, String xKey, Object binding, Defences d) {
    if (!d.requireBinding()) return;
    byte[] sig;
    try {
      sig = B64.decodeStd(binding instanceof String s ? s : null, 64);
    } catch (ClientError e) {
      throw new ClientError("binding_invalid", "member has no well-formed keyBindingSig");
    }
    byte[] message = (edKey + "|" + xKey).getBytes(StandardCharsets.UTF_8);
    for (byte[] k : issuerKeys(server, d.issuerJwksUrl())) if (Ed25519Strict.verify(k, message, sig)) return;
    throw new ClientError("binding_invalid", "keyBindingSig does not verify against the issuer key");
  }

  private List<byte[]> issuerKeys(String server, String configured) {
    String url = configured;
    if (url == null) {
      url = Json.str(transport.request("GET", server + "/.well-known/avp", null, null), "issuerJwksUrl");
      if (url == null) throw new ClientError("binding_invalid", "the server publishes no issuerJwksUrl");
    }
    List<byte[]> cached = issuerKeys.get(url);
    if (cached != null) return cached;
    List<byte[]> keys = new ArrayList<>();
    List<Object> list = Json.list(transport.request("GET", url, null, null).get("keys"));
    for (Object raw : list == null ? List.of() : list) {
      Map<String, Object> k = Json.obj(raw);
      if (!"OKP".equals(Json.str(k, "kty")) || !"Ed25519".equals(Json.str(k, "crv"))) continue;
      try {
        byte[] key = B64.decodeUrl(Json.str(k, "x"));
        if (key.length == 32) keys.add(key);
      } catch (ClientError e) {
        // not a key: skipped
      }
    }
    issuerKeys.put(url, keys);
    return keys;
  }
}
