/* The body editor's story blocks (django-prose-editor, "configurable" preset): pictures and galleries from the
 * media library, fact boxes and tables with a caption.
 *
 * Registered in settings.DJANGO_PROSE_EDITOR_EXTENSIONS and enabled for stories by articles/sanitize.py
 * (STORY_EXTENSIONS); what the sanitiser lets through for each block is in articles/editor_blocks.py.
 *
 * What the editor stores is the smallest form that says what a block is; the reader's markup is made from it when
 * the page is rendered (articles/rendering.py). The contract:
 *
 *   <figure data-image="42" data-alt="…" data-credit="…"><figcaption>…</figcaption></figure>
 *       data-alt, data-credit and the figcaption are left out when empty: the library's own are used then.
 *   <div data-gallery=""><figure data-image="1" …>…</figure><figure data-image="2"></figure></div>
 *   <aside class="factbox" data-title="Key dates"><p>…</p><ul>…</ul></aside>
 *   <table data-caption="…"><tbody><tr><th><p>…</p></th>…</tr>…</tbody></table>
 *
 * The media library answers at the picker address given in the extension's config (ImageAdmin.picker_view):
 * ?q=&page= for a page of the library, ?ids=1,2 for the pictures a story names.
 *
 * The admin's Content-Security-Policy allows no inline script and is meant to need no inline style: everything is
 * built with DOM calls and styled by blocks.css, which is added once as a <link>.
 */

import {
  Extension,
  Node,
  Table,
  canInsertNode,
  findParentNode,
  gettext,
  pm,
} from "django-prose-editor/editor"

const STYLESHEET = new URL("./blocks.css", import.meta.url).href

function addStylesheet() {
  if (document.querySelector("link[data-story-blocks]")) return
  const link = document.createElement("link")
  link.rel = "stylesheet"
  link.href = STYLESHEET
  link.dataset.storyBlocks = ""
  document.head.append(link)
}

addStylesheet()

/* ------------------------------------------------------------------------------------------------------------ */
/* Small DOM helpers                                                                                              */
/* ------------------------------------------------------------------------------------------------------------ */

let lastId = 0
const uid = (prefix = "story-block") => `${prefix}-${++lastId}`

/** An element: properties are set as properties, except data-*, aria-* and role, which are attributes. */
function el(tagName, properties = {}, children = []) {
  const element = document.createElement(tagName)
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined || value === null) continue
    if (/^(data-|aria-|role$|for$)/.test(name)) element.setAttribute(name, value)
    else element[name] = value
  }
  element.append(...children.filter((child) => child !== null && child !== undefined && child !== false))
  return element
}

const button = (text, properties = {}) => el("button", { type: "button", textContent: text, ...properties })

/** Replace an element's children, leaving out the ones not there (null, false). */
const fill = (element, children) => element.replaceChildren(...children.filter((child) => child !== null && child !== false && child !== undefined))

const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""))

/* ------------------------------------------------------------------------------------------------------------ */
/* The media library                                                                                              */
/* ------------------------------------------------------------------------------------------------------------ */

class LibraryError extends Error {}

async function getJSON(url) {
  let response
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
  } catch {
    throw new LibraryError(gettext("The media library could not be reached. Check the connection and try again."))
  }
  if (response.status === 403) {
    throw new LibraryError(gettext("You may not look at the media library."))
  }
  if (!response.ok) {
    throw new LibraryError(
      interpolate(gettext("The media library answered with an error (%(status)s). Try again."), {
        status: response.status,
      }),
    )
  }
  try {
    return await response.json()
  } catch {
    // The sign-in page, most likely: the session has ended.
    throw new LibraryError(
      gettext("The media library did not answer as expected. You may have been signed out: sign in again in another tab."),
    )
  }
}

/** One per picker address: searches the library and knows the pictures it has seen, by id. */
class Library {
  constructor(url) {
    this.url = url
    this.known = new Map() // id → Promise of the picture (null: not in the library)
    this.wanted = new Map() // id → {resolve, reject}, asked for in the next batch
    this.batch = null
  }

  address(params) {
    const url = new URL(this.url, window.location.href)
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    return url.href
  }

  remember(pictures) {
    for (const picture of pictures) this.known.set(picture.id, Promise.resolve(picture))
  }

  async search(query, page) {
    const data = await getJSON(this.address({ q: query, page }))
    if (!Array.isArray(data?.results)) {
      throw new LibraryError(gettext("The media library did not answer as expected."))
    }
    this.remember(data.results)
    return data
  }

  /** The picture with this id (null when it is no longer in the library); pictures asked for together are
   * fetched with one request. */
  get(id) {
    if (!Number.isInteger(id)) return Promise.resolve(null)
    if (this.known.has(id)) return this.known.get(id)
    const promise = new Promise((resolve, reject) => this.wanted.set(id, { resolve, reject }))
    this.known.set(id, promise)
    this.batch ??= setTimeout(() => this.fetchWanted(), 0)
    return promise
  }

  async fetchWanted() {
    const wanted = new Map(this.wanted)
    this.wanted.clear()
    this.batch = null
    const ids = [...wanted.keys()]
    for (let start = 0; start < ids.length; start += 100) {
      const chunk = ids.slice(start, start + 100)
      try {
        const data = await getJSON(this.address({ ids: chunk.join(",") }))
        const found = new Map((data?.results || []).map((picture) => [picture.id, picture]))
        for (const id of chunk) wanted.get(id).resolve(found.get(id) || null)
      } catch (error) {
        for (const id of chunk) {
          this.known.delete(id) // asked again next time
          wanted.get(id).reject(error)
        }
      }
    }
  }
}

const libraries = new Map()

function library(url) {
  if (!url) return null
  const key = String(url)
  if (!libraries.has(key)) libraries.set(key, new Library(key))
  return libraries.get(key)
}

/** A thumbnail of a library picture, or a box saying why there is none. */
function thumbnail(picture, alt) {
  if (picture?.thumbnail) {
    return el("img", {
      className: "story-thumb",
      src: picture.thumbnail,
      alt: alt ?? picture.alt ?? "",
      width: picture.width || undefined,
      height: picture.height || undefined,
      loading: "lazy",
      decoding: "async",
    })
  }
  return el("span", {
    className: "story-thumb story-thumb--none",
    textContent: picture ? gettext("No preview") : gettext("Not in the library"),
  })
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Pictures: the stored form                                                                                     */
/* ------------------------------------------------------------------------------------------------------------ */

const cleanText = (value) => String(value ?? "").replace(/\s+/g, " ").trim()

/** A picture's attributes from <figure data-image> (false if it names no picture). */
function pictureFromElement(figure) {
  const id = (figure.getAttribute("data-image") || "").trim()
  if (!/^\d+$/.test(id)) return false
  const caption = figure.querySelector(":scope > figcaption")
  return {
    image: Number.parseInt(id, 10),
    alt: cleanText(figure.getAttribute("data-alt")),
    credit: cleanText(figure.getAttribute("data-credit")),
    caption: cleanText(caption?.textContent),
  }
}

/** The stored form of a picture (see the top of this file). */
function pictureSpec(picture) {
  const attributes = { "data-image": String(picture.image) }
  if (picture.alt) attributes["data-alt"] = picture.alt
  if (picture.credit) attributes["data-credit"] = picture.credit
  return picture.caption ? ["figure", attributes, ["figcaption", picture.caption]] : ["figure", attributes]
}

const emptyPicture = (id) => ({ image: id, alt: "", credit: "", caption: "" })

/* ------------------------------------------------------------------------------------------------------------ */
/* Dialogs                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------ */

/** A modal <dialog> with a heading, appended to the page (outside the admin's form) and removed once closed.
 * Resolves with what `finish` is called with, or null if it is closed otherwise (Cancel, Escape). */
function modal({ title, className = "" }, build) {
  return new Promise((resolve) => {
    const heading = el("h2", { className: "story-dialog__title", id: uid("story-dialog-title"), textContent: title })
    const dialog = el("dialog", { className: `story-dialog ${className}`, "aria-labelledby": heading.id })
    let result = null
    const finish = (value) => {
      result = value
      dialog.close()
    }
    dialog.addEventListener("close", () => {
      dialog.remove()
      resolve(result)
    })
    dialog.append(heading)
    build({ dialog, finish })
    document.body.append(dialog)
    dialog.showModal()
    const first = dialog.querySelector("[autofocus]") || dialog.querySelector("input, textarea, select")
    first?.focus()
  })
}

/** A field of a form dialog: {name, label, type ("text", "textarea", "number", "checkbox"), value, placeholder,
 * help, required, min, max}. */
function formField(field) {
  const id = uid("story-field")
  const helpId = field.help ? `${id}-help` : undefined
  const common = { id, name: field.name, required: !!field.required, "aria-describedby": helpId }
  const help = field.help ? el("p", { className: "story-dialog__help", id: helpId, textContent: field.help }) : null
  const label = el("label", { htmlFor: id, textContent: field.label })
  if (field.type === "checkbox") {
    const input = el("input", { ...common, type: "checkbox", checked: !!field.value })
    return el("div", { className: "story-dialog__field story-dialog__field--checkbox" }, [input, label, help])
  }
  const input =
    field.type === "textarea"
      ? el("textarea", { ...common, rows: 3, value: field.value ?? "", placeholder: field.placeholder || "" })
      : el("input", {
          ...common,
          type: field.type || "text",
          value: field.value ?? "",
          placeholder: field.placeholder || "",
          min: field.min,
          max: field.max,
          autocomplete: "off",
        })
  if (field.maxLength) input.maxLength = field.maxLength
  return el("div", { className: "story-dialog__field" }, [label, input, help])
}

function fieldValue(form, field) {
  const input = form.elements[field.name]
  if (field.type === "checkbox") return input.checked
  if (field.type === "number") return Number.parseInt(input.value, 10)
  return field.type === "textarea" ? cleanText(input.value) : input.value.trim()
}

/** A dialog with a few fields; resolves with their values, or null. `before` is shown above the fields. */
function formDialog({ title, fields, submitText, before = null, className = "" }) {
  return modal({ title, className: `story-form-dialog ${className}` }, ({ dialog, finish }) => {
    const form = el("form", { className: "story-dialog__form", noValidate: false }, [
      before,
      ...fields.map(formField),
      el("div", { className: "story-dialog__buttons" }, [
        el("button", { type: "submit", className: "story-dialog__primary", textContent: submitText }),
        button(gettext("Cancel"), { onclick: () => dialog.close() }),
      ]),
    ])
    form.addEventListener("submit", (event) => {
      event.preventDefault()
      if (!form.reportValidity()) return
      finish(Object.fromEntries(fields.map((field) => [field.name, fieldValue(form, field)])))
    })
    dialog.append(form)
  })
}

/** The media library: search, pages, and choosing one picture or several (in the order clicked).
 * Resolves with the chosen pictures (the library's objects), or null. */
function pickPictures(lib, { multiple = false, title } = {}) {
  return modal(
    {
      title: title || (multiple ? gettext("Choose pictures from the library") : gettext("Choose a picture from the library")),
      className: "story-picker",
    },
    ({ dialog, finish }) => {
      const chosen = []
      let query = ""
      let page = 1
      let pages = 1
      let asked = 0

      const queryId = uid("story-search")
      const search = el("input", {
        type: "search",
        id: queryId,
        name: "q",
        autocomplete: "off",
        autofocus: true,
        placeholder: gettext("Words from the alt text, caption or credit"),
      })
      const searchForm = el("form", { className: "story-picker__search", role: "search" }, [
        el("label", { htmlFor: queryId, textContent: gettext("Search the library") }),
        search,
        el("button", { type: "submit", textContent: gettext("Search") }),
      ])
      const status = el("p", { className: "story-dialog__status", role: "status" })
      const problem = el("p", { className: "story-dialog__error", role: "alert", hidden: true })
      const grid = el("ul", { className: "story-picker__grid", "aria-label": gettext("Pictures") })
      const previous = button(gettext("Previous page"), { className: "story-picker__previous" })
      const next = button(gettext("Next page"), { className: "story-picker__next" })
      const pageLabel = el("span", { className: "story-picker__page" })
      const upload = el("a", {
        className: "story-picker__upload",
        textContent: gettext("Upload a new picture"),
        target: "_blank",
        rel: "noopener",
        hidden: true,
      })
      const pagesNav = el(
        "nav",
        { className: "story-picker__pages", "aria-label": gettext("Pages of the library"), hidden: true },
        [previous, pageLabel, next],
      )
      const count = el("span", { className: "story-picker__count", "aria-live": "polite" })
      const use = el("button", { type: "button", className: "story-dialog__primary", disabled: true })
      const cancel = button(gettext("Cancel"), { onclick: () => dialog.close() })

      const updateChosen = () => {
        for (const item of grid.querySelectorAll(".story-picker__item")) {
          const id = Number(item.dataset.id)
          const position = chosen.findIndex((picture) => picture.id === id)
          item.setAttribute("aria-pressed", String(position >= 0))
          item.querySelector(".story-picker__order").textContent = position >= 0 ? String(position + 1) : ""
        }
        use.disabled = chosen.length === 0
        use.textContent =
          chosen.length === 1
            ? gettext("Use 1 picture")
            : interpolate(gettext("Use %(count)s pictures"), { count: chosen.length })
        count.textContent = chosen.length
          ? interpolate(gettext("%(count)s chosen"), { count: chosen.length })
          : gettext("None chosen yet: click the pictures in the order they are to be shown.")
      }

      const choose = (picture) => {
        if (!multiple) {
          finish([picture])
          return
        }
        const position = chosen.findIndex((other) => other.id === picture.id)
        if (position >= 0) chosen.splice(position, 1)
        else chosen.push(picture)
        updateChosen()
      }

      const show = (data) => {
        grid.replaceChildren(
          ...data.results.map((picture) => {
            const item = el(
              "button",
              {
                type: "button",
                className: "story-picker__item",
                "data-id": picture.id,
                title: picture.caption || picture.alt || "",
              },
              [
                thumbnail(picture),
                el("span", { className: "story-picker__order", "aria-hidden": "true" }),
                el("span", {
                  className: "story-picker__text",
                  textContent: picture.caption || picture.alt || `#${picture.id}`,
                }),
              ],
            )
            item.addEventListener("click", () => choose(picture))
            return el("li", {}, [item])
          }),
        )
        page = data.page || 1
        pages = data.pages || 1
        previous.disabled = page <= 1
        next.disabled = page >= pages
        pageLabel.textContent = interpolate(gettext("Page %(page)s of %(pages)s"), { page, pages })
        pagesNav.hidden = false
        if (data.add) {
          upload.href = data.add
          upload.hidden = false
        }
        status.textContent = data.results.length
          ? ""
          : query
            ? interpolate(gettext("No pictures match “%(query)s”."), { query })
            : gettext("The library has no pictures yet.")
        if (multiple) updateChosen()
      }

      const load = async (wantedPage) => {
        const ticket = ++asked
        status.textContent = gettext("Loading…")
        problem.hidden = true
        dialog.setAttribute("aria-busy", "true")
        try {
          const data = await lib.search(query, wantedPage)
          if (ticket !== asked) return
          show(data)
        } catch (error) {
          if (ticket !== asked) return
          status.textContent = ""
          problem.textContent =
            error instanceof LibraryError ? error.message : gettext("The media library could not be loaded.")
          problem.hidden = false
          if (!(error instanceof LibraryError)) console.warn("Story blocks: the media library failed:", error)
        } finally {
          if (ticket === asked) dialog.removeAttribute("aria-busy")
        }
      }

      searchForm.addEventListener("submit", (event) => {
        event.preventDefault()
        query = search.value.trim()
        load(1)
      })
      previous.addEventListener("click", () => load(page - 1))
      next.addEventListener("click", () => load(page + 1))
      use.addEventListener("click", () => finish([...chosen]))

      dialog.append(
        searchForm,
        status,
        problem,
        grid,
        pagesNav,
        el("p", { className: "story-picker__add" }, [upload]),
        el(
          "div",
          { className: "story-dialog__buttons" },
          multiple ? [count, use, cancel] : [cancel],
        ),
      )
      if (multiple) updateChosen()
      load(1)
    },
  )
}

/** Caption, credit and alt text for a picture in this story, each empty for the library's own. */
async function pictureDetails(lib, attrs, { submitText }) {
  let picture = null
  try {
    picture = await lib.get(attrs.image)
  } catch {
    // The fields still work without the library's texts as placeholders.
  }
  const libraryHelp = gettext("Leave empty to use the library's.")
  const placeholder = (value) => value || libraryHelp
  return formDialog({
    title: gettext("Picture in this story"),
    submitText,
    className: "story-picture-dialog",
    before: el("div", { className: "story-picture-dialog__preview" }, [
      thumbnail(picture, attrs.alt || picture?.alt),
      el("p", {
        className: "story-dialog__help",
        textContent: gettext(
          "Give a caption, credit or alt text for this story, or leave the fields empty to use the library's own (shown greyed out).",
        ),
      }),
    ]),
    fields: [
      {
        name: "caption",
        label: gettext("Caption"),
        type: "textarea",
        value: attrs.caption,
        placeholder: placeholder(picture?.caption),
        help: libraryHelp,
      },
      {
        name: "credit",
        label: gettext("Credit"),
        value: attrs.credit,
        placeholder: placeholder(picture?.credit),
        help: libraryHelp,
      },
      {
        name: "alt",
        label: gettext("Alt text"),
        value: attrs.alt,
        placeholder: placeholder(picture?.alt),
        help: gettext("What the picture shows, for readers who cannot see it. Leave empty to use the library's."),
      },
    ],
  })
}

/** The gallery's pictures, each with its caption (and credit, alt text), in order; resolves with the new list
 * or null. */
function editGallery(lib, images, { submitText }) {
  return modal({ title: gettext("Gallery"), className: "story-gallery-dialog" }, ({ dialog, finish }) => {
    const items = images.map((picture) => ({ ...picture }))
    const list = el("ol", { className: "story-gallery-dialog__list" })
    const problem = el("p", { className: "story-dialog__error", role: "alert", hidden: true })
    const empty = el("p", { className: "story-dialog__status" })
    const libraryHelp = gettext("Leave empty to use the library's.")

    const render = (focus = null) => {
      list.replaceChildren(
        ...items.map((item, index) => {
          const groupName = interpolate(gettext("Picture %(number)s of %(count)s"), {
            number: index + 1,
            count: items.length,
          })
          const preview = el("div", { className: "story-gallery-dialog__thumb" }, [
            el("span", { className: "story-thumb story-thumb--loading", textContent: gettext("Loading…") }),
          ])
          const fields = [
            formField({
              name: "caption",
              label: gettext("Caption"),
              type: "textarea",
              value: item.caption,
              help: libraryHelp,
            }),
            el("details", { className: "story-gallery-dialog__more", open: !!(item.credit || item.alt) }, [
              el("summary", { textContent: gettext("Credit and alt text") }),
              formField({ name: "credit", label: gettext("Credit"), value: item.credit, help: libraryHelp }),
              formField({ name: "alt", label: gettext("Alt text"), value: item.alt, help: libraryHelp }),
            ]),
          ]
          const row = el("li", { className: "story-gallery-dialog__item", role: "group", "aria-label": groupName }, [
            preview,
            el("div", { className: "story-gallery-dialog__fields" }, fields),
            el("div", { className: "story-gallery-dialog__actions" }, [
              button(gettext("Move up"), { disabled: index === 0, onclick: () => move(index, -1, "up") }),
              button(gettext("Move down"), {
                disabled: index === items.length - 1,
                onclick: () => move(index, 1, "down"),
              }),
              button(gettext("Remove"), { onclick: () => remove(index) }),
            ]),
          ])
          for (const name of ["caption", "credit", "alt"]) {
            const input = row.querySelector(`[name="${name}"]`)
            input.addEventListener("input", () => {
              item[name] = name === "caption" ? cleanText(input.value) : input.value.trim()
            })
          }
          lib.get(item.image).then(
            (picture) => {
              preview.replaceChildren(thumbnail(picture, item.alt || picture?.alt))
              for (const name of ["caption", "credit", "alt"]) {
                row.querySelector(`[name="${name}"]`).placeholder = picture?.[name] || libraryHelp
              }
            },
            () => preview.replaceChildren(thumbnail(undefined)),
          )
          return row
        }),
      )
      empty.textContent = items.length ? "" : gettext("The gallery has no pictures yet: add some.")
      if (items.length >= 2) problem.hidden = true
      if (focus) {
        const rows = list.children
        const row = rows[Math.min(focus.index, rows.length - 1)]
        const target =
          row && [...row.querySelectorAll(".story-gallery-dialog__actions button")].find(
            (candidate) => candidate.textContent === focus.label && !candidate.disabled,
          )
        ;(target || row?.querySelector("button:not([disabled])") || add).focus()
      }
    }

    const move = (index, by, direction) => {
      const [item] = items.splice(index, 1)
      items.splice(index + by, 0, item)
      render({ index: index + by, label: direction === "up" ? gettext("Move up") : gettext("Move down") })
    }
    const remove = (index) => {
      items.splice(index, 1)
      render({ index, label: gettext("Remove") })
    }

    const add = button(gettext("Add pictures"), { className: "story-gallery-dialog__add" })
    add.addEventListener("click", async () => {
      const picked = await pickPictures(lib, { multiple: true, title: gettext("Add pictures to the gallery") })
      if (picked?.length) {
        items.push(...picked.map((picture) => emptyPicture(picture.id)))
        render({ index: items.length - 1, label: gettext("Remove") })
      }
      add.focus()
    })

    const form = el("form", { className: "story-dialog__form" }, [
      el("p", {
        className: "story-dialog__help",
        textContent: gettext("A gallery shows two or more pictures in this order. Captions left empty use the library's."),
      }),
      empty,
      list,
      problem,
      el("p", {}, [add]),
      el("div", { className: "story-dialog__buttons" }, [
        el("button", { type: "submit", className: "story-dialog__primary", textContent: submitText }),
        button(gettext("Cancel"), { onclick: () => dialog.close() }),
      ]),
    ])
    form.addEventListener("submit", (event) => {
      event.preventDefault()
      if (items.length < 2) {
        problem.textContent = gettext("A gallery needs at least two pictures. Add another picture, or cancel.")
        problem.hidden = false
        add.focus()
        return
      }
      finish(items.map(({ image, alt, credit, caption }) => ({ image, alt, credit, caption })))
    })
    dialog.append(form)
    render()
  })
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Editing helpers                                                                                                */
/* ------------------------------------------------------------------------------------------------------------ */

/** Insert a story block at the selection: in place of an empty paragraph, or splitting the paragraph; after a
 * selected block (never in its place); after the list, quote, table or fact box the selection is in, since these
 * blocks belong to the story itself. When it would end the document a paragraph follows, to go on writing in. */
function insertBlock(editor, content) {
  const { selection, doc } = editor.state
  const { $from } = selection
  const paragraph = { type: "paragraph" }
  let at = null
  if (selection.node && $from.depth === 0) at = selection.to
  else if ($from.depth > 1 || (selection.node && $from.depth > 0)) at = $from.after(1)
  if (at !== null) {
    const ends = at === doc.content.size
    editor
      .chain()
      .focus()
      .insertContentAt(at, ends ? [content, paragraph] : content)
      .run()
    return
  }
  const $to = selection.$to
  const ends = $to.depth === 0 ? selection.to === doc.content.size : $to.after(1) === doc.content.size
  editor
    .chain()
    .focus()
    .insertContent(ends ? [content, paragraph] : content)
    .run()
}

/** A paragraph at the end of the document when it ends with another block (a table, a fact box), to go on
 * writing in; the selection stays where it is. */
function paragraphAfterLastBlock(tr) {
  const last = tr.doc.lastChild
  const paragraph = tr.doc.type.schema.nodes.paragraph
  if (last && paragraph && last.type !== paragraph) tr.insert(tr.doc.content.size, paragraph.create())
}

/** The blocks of one type inside another block, the outermost of them, with where each top-level block ends. */
function nestedOfType(doc, typeName) {
  const nested = []
  doc.forEach((top, offset) => {
    top.descendants((node, pos) => {
      if (node.type.name !== typeName) return true
      nested.push({ node, from: offset + 1 + pos, after: offset + top.nodeSize })
      return false
    })
  })
  return nested
}

/** Keeps a story block at the top level of the story, where readers' pages make it from what is stored
 * (articles/blocks.py): one dropped or pasted into a list, a quote or a table's cell is moved to just after the
 * block it landed in, and the selection moves with it. */
function atTopLevel(typeName) {
  return new pm.state.Plugin({
    key: new pm.state.PluginKey(`${typeName}AtTopLevel`),
    appendTransaction(transactions, _oldState, state) {
      if (!transactions.some((transaction) => transaction.docChanged)) return null
      const tr = state.tr
      const paragraph = state.schema.nodes.paragraph
      // Again while any is left: a block moved out may hold another of its kind (a table in a table's cell).
      for (let round = 0; round < 10; round++) {
        const nested = nestedOfType(tr.doc, typeName)
        if (!nested.length) break
        const steps = tr.steps.length
        const selection = tr.selection
        // From the last to the first, so that those from one block keep their order after it.
        for (const { node, from, after } of nested.reverse()) {
          const to = from + node.nodeSize
          const selected = selection.from >= from && selection.to <= to
          // A quote or a cell with nothing else in it keeps an empty paragraph, as it must have one block.
          if (tr.doc.resolve(from).parent.childCount === 1) tr.replaceWith(from, to, paragraph.create())
          else {
            tr.delete(from, to)
            // Dropped at the start or the end of a line, it split it: the empty half goes again.
            const { nodeBefore, nodeAfter } = tr.doc.resolve(from)
            const split = [nodeBefore, nodeAfter].every((block) => block?.type === paragraph)
            if (split && (!nodeBefore.content.size || !nodeAfter.content.size)) tr.join(from)
          }
          const at = tr.mapping.slice(steps).map(after, -1)
          tr.insert(at, node)
          if (selected) {
            const moved = at - from
            tr.setSelection(
              selection instanceof pm.state.NodeSelection
                ? pm.state.NodeSelection.create(tr.doc, selection.from + moved)
                : pm.state.TextSelection.between(
                    tr.doc.resolve(selection.anchor + moved),
                    tr.doc.resolve(selection.head + moved),
                  ),
            )
          }
        }
      }
      return tr.docChanged ? tr : null
    },
  })
}

/** Change the attributes of the node a node view shows (if it is still there) and select it again. */
function setNodeAttrs(editor, getPos, typeName, attrs) {
  const pos = typeof getPos === "function" ? getPos() : null
  if (typeof pos !== "number") return
  const node = editor.state.doc.nodeAt(pos)
  if (!node || node.type.name !== typeName) return
  editor
    .chain()
    .command(({ tr }) => {
      tr.setNodeMarkup(pos, undefined, { ...node.attrs, ...attrs })
      return true
    })
    .setNodeSelection(pos)
    .focus()
    .run()
}

function deleteNodeAt(editor, getPos, typeName) {
  const pos = typeof getPos === "function" ? getPos() : null
  const node = typeof pos === "number" ? editor.state.doc.nodeAt(pos) : null
  if (!node || node.type.name !== typeName) return
  editor.chain().focus().deleteRange({ from: pos, to: pos + node.nodeSize }).run()
}

function selectNodeAt(editor, getPos) {
  const pos = typeof getPos === "function" ? getPos() : null
  if (typeof pos === "number") editor.chain().setNodeSelection(pos).focus().run()
  else editor.commands.focus()
}

const inButton = (event) => !!event.target?.closest?.("button, a, input, textarea, select, summary, label")

/* ------------------------------------------------------------------------------------------------------------ */
/* LibraryPicture                                                                                                 */
/* ------------------------------------------------------------------------------------------------------------ */

const pictureAttributes = () => ({
  image: { default: null, rendered: false, parseHTML: (element) => pictureFromElement(element).image ?? null },
  alt: { default: "", rendered: false, parseHTML: (element) => pictureFromElement(element).alt ?? "" },
  credit: { default: "", rendered: false, parseHTML: (element) => pictureFromElement(element).credit ?? "" },
  caption: { default: "", rendered: false, parseHTML: (element) => pictureFromElement(element).caption ?? "" },
})

export const LibraryPicture = Node.create({
  name: "libraryPicture",
  group: "block",
  atom: true,
  draggable: true,
  selectable: true,

  addOptions() {
    return { picker: null }
  },

  addProseMirrorPlugins() {
    return [atTopLevel(this.name)]
  },

  addAttributes() {
    return pictureAttributes()
  },

  parseHTML() {
    return [
      {
        tag: "figure[data-image]",
        // A gallery's pictures belong to the gallery (which holds them as an attribute).
        getAttrs: (element) => (element.closest("[data-gallery]") || !pictureFromElement(element) ? false : null),
      },
    ]
  },

  renderHTML({ node }) {
    return pictureSpec(node.attrs)
  },

  addCommands() {
    return {
      insertLibraryPicture:
        () =>
        ({ editor }) => {
          const lib = library(this.options.picker)
          if (!lib) return false
          ;(async () => {
            const picked = await pickPictures(lib)
            if (!picked?.length) {
              editor.commands.focus()
              return
            }
            const details = await pictureDetails(lib, emptyPicture(picked[0].id), {
              submitText: gettext("Insert picture"),
            })
            if (!details) {
              editor.commands.focus()
              return
            }
            insertBlock(editor, { type: this.name, attrs: { image: picked[0].id, ...details } })
          })()
          return true
        },
    }
  },

  addMenuItems({ buttons, menu }) {
    const type = this.name
    const hasPicker = !!this.options.picker
    menu.defineItem({
      name: "libraryPicture",
      groups: "nodes",
      command(editor) {
        editor.commands.insertLibraryPicture()
      },
      button: buttons.material("add_photo_alternate", gettext("Insert picture from the library")),
      enabled: (editor) => hasPicker && editor.isEditable && canInsertNode(editor.state, editor.schema.nodes[type]),
      active: (editor) => editor.isActive(type),
    })
  },

  addNodeView() {
    return ({ node, editor, getPos }) => {
      const lib = library(this.options.picker)
      const dom = el("div", { className: "story-block story-picture" })
      let current = node
      let drawn = 0

      const edit = async () => {
        const details = await pictureDetails(lib, current.attrs, { submitText: gettext("Update") })
        if (details) setNodeAttrs(editor, getPos, current.type.name, details)
        else selectNodeAt(editor, getPos)
      }
      const replace = async () => {
        const picked = await pickPictures(lib, { title: gettext("Replace the picture") })
        if (!picked?.length) return selectNodeAt(editor, getPos)
        // The alt text and credit were about the other picture; the caption may still fit.
        const details = await pictureDetails(
          lib,
          { image: picked[0].id, caption: current.attrs.caption, credit: "", alt: "" },
          { submitText: gettext("Replace") },
        )
        if (details) setNodeAttrs(editor, getPos, current.type.name, { image: picked[0].id, ...details })
        else selectNodeAt(editor, getPos)
      }

      const draw = () => {
        const ticket = ++drawn
        const { image, caption, credit, alt } = current.attrs
        const figure = el("div", { className: "story-picture__figure" }, [
          el("span", { className: "story-thumb story-thumb--loading", textContent: gettext("Loading picture…") }),
        ])
        const captionLine = el("p", { className: "story-picture__caption", textContent: caption })
        const creditLine = el("p", { className: "story-picture__credit" })
        if (credit) creditLine.textContent = interpolate(gettext("Credit: %(credit)s"), { credit })
        const actions = editor.isEditable
          ? el("div", { className: "story-block__actions" }, [
              button(gettext("Edit"), { onclick: edit, title: gettext("Caption, credit and alt text") }),
              button(gettext("Replace"), { onclick: replace, title: gettext("Choose another picture") }),
              button(gettext("Remove"), {
                onclick: () => deleteNodeAt(editor, getPos, current.type.name),
                title: gettext("Remove the picture from the story"),
              }),
            ])
          : null
        fill(dom, [
          el("p", { className: "story-block__label", textContent: gettext("Picture") }),
          figure,
          captionLine,
          creditLine,
          actions,
        ])
        if (!lib) {
          figure.replaceChildren(el("p", { className: "story-block__missing", textContent: `#${image}` }))
          return
        }
        lib.get(image).then(
          (picture) => {
            if (ticket !== drawn) return
            if (!picture) {
              dom.classList.add("story-block--missing")
              figure.replaceChildren(
                el("p", {
                  className: "story-block__missing",
                  role: "note",
                  textContent: gettext("This picture is no longer in the library"),
                }),
              )
              return
            }
            dom.classList.remove("story-block--missing")
            figure.replaceChildren(thumbnail(picture, alt || picture.alt))
            if (!caption && picture.caption) {
              captionLine.replaceChildren(
                el("span", { className: "story-block__muted", textContent: picture.caption }),
                el("span", { className: "story-block__source", textContent: ` (${gettext("library caption")})` }),
              )
            }
            if (!credit && picture.credit) {
              creditLine.replaceChildren(
                el("span", {
                  className: "story-block__muted",
                  textContent: interpolate(gettext("Credit: %(credit)s"), { credit: picture.credit }),
                }),
                el("span", { className: "story-block__source", textContent: ` (${gettext("library")})` }),
              )
            }
          },
          (error) => {
            if (ticket !== drawn) return
            figure.replaceChildren(
              el("p", {
                className: "story-block__missing",
                role: "alert",
                textContent: error instanceof LibraryError ? error.message : gettext("The picture could not be loaded."),
              }),
            )
          },
        )
      }

      draw()
      return {
        dom,
        update(updated) {
          if (updated.type !== current.type) return false
          const changed = updated.attrs !== current.attrs
          current = updated
          if (changed) draw()
          return true
        },
        stopEvent: inButton,
        ignoreMutation: () => true,
      }
    }
  },
})

/* ------------------------------------------------------------------------------------------------------------ */
/* LibraryGallery                                                                                                 */
/* ------------------------------------------------------------------------------------------------------------ */

const galleryFromElement = (element) =>
  [...element.querySelectorAll(":scope > figure[data-image]")].map(pictureFromElement).filter(Boolean)

export const LibraryGallery = Node.create({
  name: "libraryGallery",
  group: "block",
  atom: true,
  draggable: true,
  selectable: true,
  // Before the picture, so that its parse rule sees a gallery first.
  priority: 110,

  addOptions() {
    return { picker: null }
  },

  addProseMirrorPlugins() {
    return [atTopLevel(this.name)]
  },

  addAttributes() {
    return {
      images: { default: [], rendered: false, parseHTML: galleryFromElement },
    }
  },

  parseHTML() {
    return [{ tag: "div[data-gallery]", priority: 60 }]
  },

  renderHTML({ node }) {
    return ["div", { "data-gallery": "" }, ...(node.attrs.images || []).map(pictureSpec)]
  },

  addCommands() {
    return {
      insertLibraryGallery:
        () =>
        ({ editor }) => {
          const lib = library(this.options.picker)
          if (!lib) return false
          ;(async () => {
            const picked = await pickPictures(lib, { multiple: true, title: gettext("Choose the gallery's pictures") })
            if (!picked?.length) {
              editor.commands.focus()
              return
            }
            const images = await editGallery(
              lib,
              picked.map((picture) => emptyPicture(picture.id)),
              { submitText: gettext("Insert gallery") },
            )
            if (!images) {
              editor.commands.focus()
              return
            }
            insertBlock(editor, { type: this.name, attrs: { images } })
          })()
          return true
        },
    }
  },

  addMenuItems({ buttons, menu }) {
    const type = this.name
    const hasPicker = !!this.options.picker
    menu.defineItem({
      name: "libraryGallery",
      groups: "nodes",
      command(editor) {
        editor.commands.insertLibraryGallery()
      },
      button: buttons.material("photo_library", gettext("Insert gallery")),
      enabled: (editor) => hasPicker && editor.isEditable && canInsertNode(editor.state, editor.schema.nodes[type]),
      active: (editor) => editor.isActive(type),
    })
  },

  addNodeView() {
    return ({ node, editor, getPos }) => {
      const lib = library(this.options.picker)
      const dom = el("div", { className: "story-block story-gallery" })
      let current = node

      const edit = async () => {
        const images = await editGallery(lib, current.attrs.images || [], { submitText: gettext("Update gallery") })
        if (images) setNodeAttrs(editor, getPos, current.type.name, { images })
        else selectNodeAt(editor, getPos)
      }

      const draw = () => {
        const images = current.attrs.images || []
        const strip = el(
          "ol",
          { className: "story-gallery__strip" },
          images.map((item) => {
            const box = el("span", { className: "story-thumb story-thumb--loading", textContent: "…" })
            const caption = el("span", { className: "story-gallery__caption", textContent: item.caption })
            lib?.get(item.image).then(
              (picture) => {
                box.replaceWith(
                  picture
                    ? thumbnail(picture, item.alt || picture.alt)
                    : el("span", {
                        className: "story-thumb story-thumb--none",
                        textContent: gettext("This picture is no longer in the library"),
                      }),
                )
                if (!item.caption && picture?.caption) {
                  caption.classList.add("story-block__muted")
                  caption.textContent = picture.caption
                }
              },
              () => box.replaceWith(thumbnail(undefined)),
            )
            return el("li", { className: "story-gallery__item" }, [box, caption])
          }),
        )
        const label =
          images.length === 1
            ? gettext("Gallery of 1 picture")
            : interpolate(gettext("Gallery of %(count)s pictures"), { count: images.length })
        fill(dom, [
          el("p", { className: "story-block__label", textContent: label }),
          strip,
          images.length < 2
            ? el("p", {
                className: "story-block__warning",
                textContent: gettext("A gallery needs at least two pictures."),
              })
            : null,
          editor.isEditable && lib
            ? el("div", { className: "story-block__actions" }, [
                button(gettext("Edit gallery"), { onclick: edit }),
                button(gettext("Remove"), {
                  onclick: () => deleteNodeAt(editor, getPos, current.type.name),
                  title: gettext("Remove the gallery from the story"),
                }),
              ])
            : null,
        ])
      }

      draw()
      return {
        dom,
        update(updated) {
          if (updated.type !== current.type) return false
          const changed = updated.attrs !== current.attrs
          current = updated
          if (changed) draw()
          return true
        },
        stopEvent: inButton,
        ignoreMutation: () => true,
      }
    }
  },
})

/* ------------------------------------------------------------------------------------------------------------ */
/* FactBox                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------ */

const titleDialog = (title, submitText) =>
  formDialog({
    title: gettext("Fact box"),
    submitText,
    fields: [
      {
        name: "title",
        label: gettext("Title"),
        value: title,
        required: true,
        maxLength: 200,
        help: gettext("Shown above the facts, for example “Key dates” or “In numbers”."),
      },
    ],
  })

/** The top-level blocks the selection touches, if a fact box may hold them all (fact boxes are blocks of the story,
 * not of a table cell or a list). */
function factBoxWrapping(state, type, attrs) {
  const { $from, $to } = state.selection
  const range = $from.blockRange($to, (parent) => parent.type === state.schema.topNodeType)
  if (!range || range.depth !== 0) return null
  const wrapping = pm.transform.findWrapping(range, type, attrs)
  // Only the fact box itself: no list or other node made up around or inside it.
  return wrapping?.length === 1 ? { range, wrapping } : null
}

const findFactBox = (state) => findParentNode((node) => node.type.name === "factBox")(state.selection)

/** The fact box at pos, or the one holding the selection. */
function factBoxAt(state, pos) {
  if (typeof pos === "number") {
    const node = state.doc.nodeAt(pos)
    return node?.type.name === "factBox" ? { pos, node } : null
  }
  return findFactBox(state)
}

export const FactBox = Node.create({
  name: "factBox",
  group: "block",
  content: "(paragraph | bulletList | orderedList | heading)+",
  defining: true,

  addProseMirrorPlugins() {
    return [atTopLevel(this.name)]
  },

  addAttributes() {
    return {
      title: {
        default: "",
        parseHTML: (element) => cleanText(element.getAttribute("data-title")),
        renderHTML: (attributes) => ({ "data-title": attributes.title || "" }),
      },
    }
  },

  parseHTML() {
    return [{ tag: "aside.factbox" }]
  },

  renderHTML({ HTMLAttributes }) {
    return ["aside", { class: "factbox", ...HTMLAttributes }, 0]
  },

  addCommands() {
    return {
      setFactBox:
        (attrs) =>
        ({ state, tr, dispatch }) => {
          const type = state.schema.nodes[this.name]
          if (findFactBox(state)) return false
          const found = factBoxWrapping(state, type, attrs)
          if (!found) return false
          if (dispatch) {
            tr.wrap(found.range, found.wrapping)
            paragraphAfterLastBlock(tr)
            tr.scrollIntoView()
          }
          return true
        },
      unsetFactBox:
        () =>
        ({ state, tr, dispatch }) => {
          const box = findFactBox(state)
          if (!box) return false
          if (dispatch) tr.replaceWith(box.pos, box.pos + box.node.nodeSize, box.node.content).scrollIntoView()
          return true
        },
      insertFactBox:
        () =>
        ({ editor }) => {
          ;(async () => {
            const values = await titleDialog("", gettext("Make fact box"))
            if (!values?.title) {
              editor.commands.focus()
              return
            }
            if (editor.chain().focus().setFactBox({ title: values.title }).run()) return
            // Nothing to wrap (a picture or table chosen, say): an empty fact box after the block.
            const { selection, doc } = editor.state
            const $to = selection.$to
            const at = selection.node || $to.depth === 0 ? selection.to : $to.after(1)
            const box = { type: this.name, attrs: { title: values.title }, content: [{ type: "paragraph" }] }
            editor
              .chain()
              .focus()
              .insertContentAt(at, at === doc.content.size ? [box, { type: "paragraph" }] : box)
              .setTextSelection(at + 2)
              .run()
          })()
          return true
        },
      editFactBoxTitle:
        (pos) =>
        ({ editor, state }) => {
          const box = factBoxAt(state, pos)
          if (!box) return false
          ;(async () => {
            const values = await titleDialog(box.node.attrs.title, gettext("Update"))
            const now = factBoxAt(editor.state, box.pos)
            if (values?.title && now) {
              editor
                .chain()
                .focus()
                .command(({ tr }) => {
                  tr.setNodeMarkup(now.pos, undefined, { ...now.node.attrs, title: values.title })
                  return true
                })
                .run()
            } else editor.commands.focus()
          })()
          return true
        },
    }
  },

  addMenuItems({ buttons, menu }) {
    const type = this.name
    const inside = (editor) => editor.isActive(type)
    menu.defineItem({
      name: "factBox",
      groups: "nodes",
      command(editor) {
        if (inside(editor)) editor.commands.editFactBoxTitle()
        else editor.commands.insertFactBox()
      },
      button: buttons.material("info", gettext("Fact box")),
      active: inside,
      enabled: (editor) => editor.isEditable && !editor.isActive("table"),
    })
    menu.defineItem({
      name: "factBox:title",
      groups: "nodes",
      command(editor) {
        editor.commands.editFactBoxTitle()
      },
      button: buttons.material("edit_note", gettext("Fact box title")),
      hidden: (editor) => !inside(editor),
      enabled: (editor) => editor.isEditable && inside(editor),
    })
    menu.defineItem({
      name: "factBox:remove",
      groups: "nodes",
      command(editor) {
        editor.chain().focus().unsetFactBox().run()
      },
      button: buttons.material("layers_clear", gettext("Remove fact box")),
      hidden: (editor) => !inside(editor),
      enabled: (editor) => editor.isEditable && inside(editor),
    })
  },

  addNodeView() {
    return ({ node, editor, getPos }) => {
      const title = el("strong", { className: "story-factbox__title" })
      const header = el("div", { className: "story-factbox__header", contentEditable: "false" }, [
        el("span", { className: "story-block__label", textContent: gettext("Fact box") }),
        title,
      ])
      const contentDOM = el("div", { className: "story-factbox__content" })
      const dom = el("aside", { className: "factbox story-block story-factbox" }, [header, contentDOM])
      let current = node
      const draw = () => {
        dom.setAttribute("data-title", current.attrs.title || "")
        title.textContent = current.attrs.title || gettext("(no title)")
        title.classList.toggle("story-block__warning", !current.attrs.title)
      }
      if (editor.isEditable) {
        const edit = button(gettext("Edit title"), { className: "story-factbox__edit" })
        edit.addEventListener("click", () => editor.commands.editFactBoxTitle(getPos()))
        header.append(edit)
      }
      draw()
      return {
        dom,
        contentDOM,
        update(updated) {
          if (updated.type !== current.type) return false
          current = updated
          draw()
          return true
        },
        stopEvent: (event) => header.contains(event.target) && inButton(event),
        ignoreMutation: (mutation) => mutation.type !== "selection" && !contentDOM.contains(mutation.target),
      }
    }
  },
})

/* ------------------------------------------------------------------------------------------------------------ */
/* StoryTable                                                                                                     */
/* ------------------------------------------------------------------------------------------------------------ */

/** The table at pos, or the one holding the selection. */
function tableAt(state, pos) {
  if (typeof pos === "number") {
    const node = state.doc.nodeAt(pos)
    return node?.type.name === "table" ? { pos, node } : null
  }
  return findParentNode((node) => node.type.name === "table")(state.selection)
}

function captionDialog(caption, submitText) {
  return formDialog({
    title: gettext("Table caption"),
    submitText,
    fields: [
      {
        name: "caption",
        label: gettext("Caption"),
        type: "textarea",
        value: caption,
        help: gettext("Says what the table shows, e.g. “Results by ward”. Leave empty for none."),
      },
    ],
  })
}

export const StoryTable = Table.extend({
  addProseMirrorPlugins() {
    return [...(this.parent?.() || []), atTopLevel(this.name)]
  },

  addAttributes() {
    return {
      ...this.parent?.(),
      caption: {
        default: "",
        parseHTML: (element) => cleanText(element.getAttribute("data-caption")),
        renderHTML: (attributes) => (attributes.caption ? { "data-caption": attributes.caption } : {}),
      },
    }
  },

  addCommands() {
    return {
      ...this.parent?.(),
      insertTableWithOptions:
        () =>
        ({ editor }) => {
          ;(async () => {
            const values = await formDialog({
              title: gettext("Insert table"),
              submitText: gettext("Insert table"),
              fields: [
                { name: "rows", label: gettext("Rows"), type: "number", value: "3", min: 1, max: 100, required: true },
                {
                  name: "cols",
                  label: gettext("Columns"),
                  type: "number",
                  value: "3",
                  min: 1,
                  max: 20,
                  required: true,
                },
                {
                  name: "withHeaderRow",
                  label: gettext("First row is a header row"),
                  type: "checkbox",
                  value: true,
                },
                {
                  name: "caption",
                  label: gettext("Caption"),
                  type: "textarea",
                  value: "",
                  help: gettext("Says what the table shows. Can be added later with “Table caption”."),
                },
              ],
            })
            if (!values) {
              editor.commands.focus()
              return
            }
            const rows = Math.min(Math.max(values.rows || 3, 1), 100)
            const cols = Math.min(Math.max(values.cols || 3, 1), 20)
            editor
              .chain()
              .focus()
              .insertTable({ rows, cols, withHeaderRow: values.withHeaderRow })
              .command(({ tr }) => {
                const table = findParentNode((node) => node.type.name === "table")(tr.selection)
                if (table && values.caption) {
                  tr.setNodeMarkup(table.pos, undefined, { ...table.node.attrs, caption: values.caption })
                }
                paragraphAfterLastBlock(tr)
                return true
              })
              .run()
          })()
          return true
        },
      setTableCaption:
        (caption, pos) =>
        ({ state, tr, dispatch }) => {
          const table = tableAt(state, pos)
          if (!table) return false
          if (dispatch) tr.setNodeMarkup(table.pos, undefined, { ...table.node.attrs, caption: cleanText(caption) })
          return true
        },
      editTableCaption:
        (pos) =>
        ({ editor, state }) => {
          const table = tableAt(state, pos)
          if (!table) return false
          ;(async () => {
            const values = await captionDialog(table.node.attrs.caption, gettext("Update"))
            if (values && tableAt(editor.state, table.pos)) {
              editor.chain().focus().setTableCaption(values.caption, table.pos).run()
            } else editor.commands.focus()
          })()
          return true
        },
    }
  },

  addMenuItems(context) {
    this.parent?.(context)
    const { buttons, menu } = context
    const inTable = (editor) => editor.isActive("table")
    // The bundled item, again: among the other blocks, and always with a header row to begin with.
    menu.defineItem({
      name: "table",
      groups: "nodes",
      command(editor) {
        editor.commands.insertTableWithOptions()
      },
      button: buttons.material("grid_on", gettext("Insert table")),
      enabled: (editor) => editor.isEditable && !inTable(editor),
    })
    menu.defineItem({
      name: "table:caption",
      groups: "table",
      command(editor) {
        editor.commands.editTableCaption()
      },
      button: buttons.material("short_text", gettext("Table caption")),
      hidden: (editor) => !inTable(editor),
      enabled: (editor) => editor.isEditable && inTable(editor),
    })
  },

  addNodeView() {
    const parentView = this.parent?.()
    if (!parentView) return null
    return (props) => {
      const view = parentView(props)
      const { editor } = props
      const caption = el("div", { className: "story-table__caption", contentEditable: "false" })
      const text = el("span", { className: "story-table__caption-text" })
      caption.append(el("span", { className: "story-block__label", textContent: gettext("Table") }), text)
      if (editor.isEditable) {
        const edit = button(gettext("Edit caption"), { className: "story-table__caption-edit" })
        edit.addEventListener("click", () => editor.commands.editTableCaption(props.getPos?.()))
        caption.append(edit)
      }
      const draw = (node) => {
        text.textContent = node.attrs.caption || gettext("No caption yet")
        text.classList.toggle("story-block__muted", !node.attrs.caption)
      }
      draw(props.node)
      view.dom.prepend(caption)

      const update = view.update.bind(view)
      view.update = (node) => {
        if (!update(node)) return false
        draw(node)
        return true
      }
      const ignoreMutation = view.ignoreMutation.bind(view)
      view.ignoreMutation = (mutation) =>
        (mutation.type !== "selection" && caption.contains(mutation.target)) || ignoreMutation(mutation)
      const stopEvent = view.stopEvent?.bind(view)
      view.stopEvent = (event) => caption.contains(event.target) || (stopEvent ? stopEvent(event) : false)
      return view
    }
  },
})


/* A link on a line of its own is an embed for readers where it is a listed provider's (embeds/body.py): the
 * editor marks such a paragraph and names the provider, so the reporter sees that the pasted link became an
 * embed and not just a link. The provider table comes from the server (embeds/providers.py: editor_table). */

function linkAlone(paragraph) {
  if (paragraph.type.name !== "paragraph" || paragraph.childCount !== 1) return null
  const text = paragraph.firstChild
  if (!text.isText) return null
  const words = text.text.trim()
  const link = text.marks.find((mark) => mark.type.name === "link")
  if (link) {
    const href = link.attrs.href || ""
    return words === href || words === href.replace(/\/$/, "") ? href : null
  }
  return /^https?:\/\/\S+$/.test(words) ? words : null
}

export const EmbedLinks = Extension.create({
  name: "embedLinks",

  addOptions() {
    return { providers: [] }
  },

  addProseMirrorPlugins() {
    addStylesheet()
    const table = this.options.providers.map(({ name, patterns }) => ({
      name,
      patterns: patterns.map((pattern) => new RegExp(`^(?:${pattern})$`, "i")),
    }))
    const providerOf = (url) => table.find(({ patterns }) => patterns.some((pattern) => pattern.test(url)))
    const decorate = (doc) => {
      const decorations = []
      doc.forEach((node, offset) => {
        const url = linkAlone(node)
        const provider = url && providerOf(url)
        if (provider) {
          decorations.push(
            pm.view.Decoration.node(offset, offset + node.nodeSize, {
              class: "story-embed-link",
              "data-embed": gettext("Embed from %s: readers see its facade once it is fetched").replace(
                "%s",
                provider.name,
              ),
            }),
          )
        }
      })
      return pm.view.DecorationSet.create(doc, decorations)
    }
    return [
      new pm.state.Plugin({
        key: new pm.state.PluginKey("storyEmbedLinks"),
        state: {
          init: (_config, state) => decorate(state.doc),
          apply: (transaction, old) => (transaction.docChanged ? decorate(transaction.doc) : old),
        },
        props: {
          decorations(state) {
            return this.getState(state)
          },
        },
      }),
    ]
  },
})
