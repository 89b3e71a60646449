package io.tavo.sdk.resources;

import java.util.List;

/** A repository to register; url is required. */
public final class CreateRepositoryParams extends Params<CreateRepositoryParams> {
    public CreateRepositoryParams url(String value) { return set("url", value); }
    public CreateRepositoryParams name(String value) { return set("name", value); }
    public CreateRepositoryParams defaultBranch(String value) { return set("default_branch", value); }
}
