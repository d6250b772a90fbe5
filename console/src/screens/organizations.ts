import { OrgRole, OrgRoleSchema } from "../../../gen/platform/user/v1/common_pb.js";
import {
  OrganizationTypeSchema,
  SubscriptionTier,
  SubscriptionTierSchema,
  type Organization,
  type OrganizationType,
} from "../../../gen/platform/user/v1/organization_service_pb.js";
import { button, checkbox, definitions, field, h, input, select, table } from "../dom.js";
import { enumLabel, enumOptions, when } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen } from "../screen.js";

const DEPARTMENTS = [
  { value: "", label: "None" },
  { value: "trading", label: "Trading" },
  { value: "compliance", label: "Compliance" },
  { value: "risk", label: "Risk" },
  { value: "operations", label: "Operations" },
];

/** organizationsScreen lists the caller's organizations, creates one, and invites members into one the caller may invite to. */
export const organizationsScreen: Screen = ({ api }) => {
  const status = notice();
  const list = h("div", {});
  const created = h("div", {});
  const invited = h("div", {});
  let organizations: Organization[] = [];

  // Required, so that with no organization yet the browser stops the invitation before it is sent.
  const organizationChoice = select("organizationId", []);
  organizationChoice.required = true;
  const fillChoice = (selected?: string) => {
    organizationChoice.replaceChildren(
      ...(organizations.length === 0
        ? [h("option", { value: "", selected: true }, "Create an organization first")]
        : organizations.map((o) => h("option", { value: o.organizationId, selected: o.organizationId === selected }, `${o.displayName} (${o.name})`))),
    );
  };

  const load = async (selected?: string) => {
    try {
      // One long page: the console lists the organizations only to pick one for an invitation.
      const res = await api.organizations.listOrganizations({ limit: 200 });
      organizations = res.organizations;
      list.replaceChildren(
        organizations.length === 0
          ? h("p", {}, "You belong to no organization yet.")
          : table(
              "Your organizations",
              ["Name", "Display name", "Type", "Plan", "Members", "Your role", "Created"],
              organizations.map((o) => [
                h("code", {}, o.name),
                o.displayName,
                enumLabel(OrganizationTypeSchema, o.organizationType),
                enumLabel(SubscriptionTierSchema, o.subscriptionTier),
                String(o.memberCount),
                enumLabel(OrgRoleSchema, o.callerRole),
                when(o.createdAt),
              ]),
            ),
      );
      fillChoice(selected);
    } catch (error) {
      status.fail(error);
    }
  };

  const name = input("name", { required: true, maxlength: 64, pattern: "[a-z0-9][a-z0-9\\-]{1,62}[a-z0-9]", autocomplete: "off", spellcheck: "false" });
  const displayName = input("displayName", { required: true, maxlength: 200, autocomplete: "organization" });
  const type = select("organizationType", enumOptions(OrganizationTypeSchema));
  const tier = select("subscriptionTier", enumOptions(SubscriptionTierSchema), String(SubscriptionTier.FREE));
  const approval = checkbox("requiresApproval", "New members wait for approval", false);
  const createForm = h(
    "form",
    { "aria-labelledby": "create-org-title" },
    field("Name", name, "3 to 64 lower-case letters, digits and hyphens; unique."),
    field("Display name", displayName),
    field("Organization type", type),
    field("Subscription tier", tier),
    approval.element,
    button("Create organization", undefined, "submit"),
  );
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(createForm, async () => {
      try {
        const { organization } = await api.organizations.createOrganization({
          name: name.value.trim(),
          displayName: displayName.value.trim(),
          organizationType: Number(type.value) as OrganizationType,
          subscriptionTier: Number(tier.value) as SubscriptionTier,
          requiresApproval: approval.box.checked,
        });
        if (!organization) throw new Error("the server answered no organization");
        status.ok(`Created ${organization.displayName}; you are its admin.`);
        created.replaceChildren(
          definitions([
            ["Organization ID", h("code", {}, organization.organizationId)],
            ["Name", h("code", {}, organization.name)],
            ["Type", enumLabel(OrganizationTypeSchema, organization.organizationType)],
            ["Plan", enumLabel(SubscriptionTierSchema, organization.subscriptionTier)],
          ]),
        );
        createForm.reset();
        await load(organization.organizationId);
      } catch (error) {
        status.fail(error);
      }
    });
  });

  const email = input("email", { type: "email", required: true, maxlength: 254, autocomplete: "off" });
  const role = select("role", enumOptions(OrgRoleSchema), String(OrgRole.TRADER));
  const department = select("department", DEPARTMENTS);
  const inviteForm = h(
    "form",
    { "aria-labelledby": "invite-title" },
    field("Organization", organizationChoice),
    field("Invitee's email", email),
    field("Role", role),
    field("Department", department),
    button("Send invitation", undefined, "submit"),
  );
  inviteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(inviteForm, async () => {
      try {
        const res = await api.organizations.inviteMember({
          organizationId: organizationChoice.value,
          email: email.value.trim(),
          role: Number(role.value) as OrgRole,
          department: department.value,
        });
        status.ok(`Invited ${email.value.trim()}.`);
        invited.replaceChildren(
          h("p", {}, "Give the invitee this token: they accept it when signed in, or sign up with it. It is shown only this once."),
          definitions([
            ["Invitation ID", h("code", {}, res.invitationId)],
            ["Invitation token", h("code", { class: "secret", "aria-label": "Invitation token" }, res.invitationToken)],
            ["Expires", when(res.expiresAt)],
          ]),
        );
        inviteForm.reset();
      } catch (error) {
        status.fail(error);
      }
    });
  });

  void load();
  return h(
    "section",
    {},
    h("h2", {}, "Organizations"),
    status.element,
    list,
    h("h3", { id: "create-org-title" }, "Create an organization"),
    createForm,
    created,
    h("h3", { id: "invite-title" }, "Invite a member"),
    inviteForm,
    invited,
  );
};
